"""Attacks on the notification: a repository that tries to choose where it goes, to read the secret URL, or to
put item data in it or in the run log. ORGSYNC_NOTIFY_URL comes from the environment only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import orgsync
from tests.support.emulator_api import Receiver
from tests.support.hostile import HTML_NAME, SALARIES, SECRET_NOTE, VALUES, write


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    ours, evil = Receiver(), Receiver()
    yield ours, evil
    ours.close()
    evil.close()


def drained(receiver: Receiver) -> list[dict[str, object]]:
    got = []
    while not receiver.got.empty():
        got.append(json.loads(receiver.got.get_nowait().body))
    return got


@pytest.mark.parametrize(
    ("file", "attack"),
    [
        ("orgsync.yaml", "notifyUrl: {evil}\n"),
        ("orgsync.yaml", "notify: {{url: {evil}}}\n"),
        ("orgsync.yaml", "env: {{ORGSYNC_NOTIFY_URL: {evil}}}\n"),
        ("manifests/people.yaml", "ORGSYNC_NOTIFY_URL: {evil}\n"),
    ],
)
def test_the_repository_cannot_choose_where_the_notification_goes(
    tmp_path: Path, receivers: tuple[Receiver, Receiver], file: str, attack: str
) -> None:
    ours, evil = receivers
    write(tmp_path)
    target = tmp_path / file
    target.write_text(target.read_text() + attack.format(evil=evil.url + "/steal"))
    log = tmp_path / "runs.jsonl"
    code, _, err = orgsync(
        "-C",
        str(tmp_path),
        "apply",
        "--auto-approve",
        "--log-runs",
        str(log),
        env={"ORGSYNC_NOTIFY_URL": ours.url},
    )
    assert code == 1 and file in err
    assert evil.got.empty()
    [note] = drained(ours)
    assert (note["command"], note["status"], note["exit_code"]) == ("apply", "failed", 1)
    assert [json.loads(line)["status"] for line in log.read_text().splitlines()] == ["failed"]


def test_a_template_cannot_read_the_notification_secret(
    tmp_path: Path, receivers: tuple[Receiver, Receiver]
) -> None:
    ours, _ = receivers
    secret = ours.url + "/services/T0/B0/secretkey"
    write(tmp_path)
    config = tmp_path / "orgsync.yaml"
    config.write_text(
        config.read_text().replace("endpoint: local", 'endpoint: "{{ env.ORGSYNC_NOTIFY_URL }}"')
    )
    code, out, err = orgsync("-C", str(tmp_path), "plan", "--notify", env={"ORGSYNC_NOTIFY_URL": secret})
    assert code == 1 and "ORGSYNC_NOTIFY_URL" in err
    assert "secretkey" not in out + err
    [note] = drained(ours)
    assert note["status"] == "failed" and "secretkey" not in json.dumps(note)


def test_no_item_key_or_value_reaches_a_notification_or_the_run_log(
    tmp_path: Path, receivers: tuple[Receiver, Receiver]
) -> None:
    ours, _ = receivers
    rows = [
        {
            "id": f"KEYzq{i}",
            "label": VALUES[i % len(VALUES)],
            "note": f"Notezq{i}",
            "salary": SALARIES[i % 3],
            "ssn": SECRET_NOTE,
        }
        for i in range(12)
    ]
    write(tmp_path, rows=rows, key="note")
    log = tmp_path / "runs.jsonl"
    env = {"ORGSYNC_NOTIFY_URL": ours.url}
    assert orgsync("-C", str(tmp_path), "apply", "--auto-approve", "--log-runs", str(log), env=env)[0] == 0
    write(tmp_path, rows=rows[:2], key="note")  # a mass delete: blocked, the reason names the dataset
    code, _, _ = orgsync("-C", str(tmp_path), "apply", "--auto-approve", "--log-runs", str(log), env=env)
    assert code == 3
    code, _, _ = orgsync("-C", str(tmp_path), "plan", "--notify", "--log-runs", str(log), env=env)
    assert code == 3
    notes = drained(ours)
    assert [n["status"] for n in notes] == ["applied", "blocked", "blocked"]
    assert notes[0]["datasets"] == {HTML_NAME: {"create": 12, "update": 0, "delete": 0}}
    assert notes[1]["requests"] > 0 and notes[1]["blocked_by"]
    assert "&lt;img src=x onerror=alert(1)&gt; &lt;!--" in str(notes[1]["text"])  # the name, inert for Slack
    wire = json.dumps(notes) + log.read_text()
    for leaked in ("KEYzq", "Notezq", SECRET_NOTE, *SALARIES, *(json.dumps(v)[1:-1] for v in VALUES)):
        assert leaked not in wire, leaked
    assert [json.loads(line)["status"] for line in log.read_text().splitlines()] == [
        "applied",
        "blocked",
        "blocked",
    ]
