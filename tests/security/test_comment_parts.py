"""Attack on the comment's length: an error output of hundreds of kilobytes of attacker markdown (mentions,
links, backtick runs). Before, it was split into as many comments as it took (a 100 KB CSV header: 45), and
parts 2..N sat outside the code fence, so the attacker's markdown rendered. Now: at most 5 comments, each a
well-formed fragment (the fence closed and reopened, longer than any backtick run), the rest in the job
summary and the `…-comment` artifact, with a line saying so."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

from orgsync import escape
from orgsync.github.action import Inputs, Run, failure_markdown, main, write_summary
from orgsync.github.comments import LIMIT, MAX_PARTS
from tests.support.action_env import env_for, parse_outputs
from tests.support.fake_github import FakeGitHub
from tests.support.gfm import assert_inert, fences_balanced, read
from tests.support.hostile import in_process, write

HOSTILE = (
    "@acme/admins https://evil.example/login www.evil.example x@y.com #12 ```` [click](https://evil) <!-- "
)


def hostile_manifests(root: Path, files: int = 12, properties: int = 5) -> Path:
    """Manifests whose property types are attacker text (~6 KB each): every one is quoted in an error."""
    (root / "manifests").mkdir(parents=True)
    (root / "orgsync.yaml").write_text("tenant: ACME\nendpoint: local\nmanifests: manifests\n")
    for i in range(files):
        props = [{"key": f"p{j}", "name": "P", "type": HOSTILE * 60} for j in range(properties)]
        manifest = {"kind": "Dataset", "name": f"D{i}", "type": "PEOPLE", "autoId": "p0", "labelId": "p0"}
        (root / "manifests" / f"d{i}.yaml").write_text(yaml.safe_dump(manifest | {"properties": props}))
    return root


def assert_well_formed_parts(comments: list[dict[str, str]], count: int) -> list[str]:
    bodies = [c["body"] for c in comments]
    assert len(bodies) == count
    for number, body in enumerate(bodies, 1):
        assert len(body) <= LIMIT
        assert f"part {number} of {count}_" in body.split("\n", 2)[1]
        assert fences_balanced(body), number
        reader = assert_inert(body)  # no link, no mention or reference outside the code block
        outside = "".join(reader.text)
        assert "evil" not in outside and "acme" not in outside, number  # the attacker's text is all code
    return bodies


def test_a_huge_hostile_error_makes_five_well_formed_comments_and_says_where_the_rest_is(
    tmp_path: Path, github: FakeGitHub
) -> None:
    root = hostile_manifests(tmp_path / "repo")
    github.add_pull_request(5)
    env = env_for(tmp_path, github, ORGSYNC_WORKING_DIRECTORY=str(root))
    assert main([], env, in_process) == 1
    outputs = parse_outputs(tmp_path / "out")
    whole = Path(outputs["comment-file"]).read_text()
    assert len(whole) > 5 * LIMIT  # the attack: ~6 comments' worth of error text
    assert whole.startswith("### orgsync validate failed (exit 1)\n\n`````\n")  # longer than the ```` runs
    bodies = assert_well_formed_parts(github.comments_on(5), MAX_PARTS)
    assert all(body.count("\n`````\n") == 2 for body in bodies)  # each part opens and closes its fence
    artifact = outputs["comment-artifact"]
    assert artifact == f"orgsync-plan-{Inputs.from_env(env).slug}-comment"
    [rest] = re.findall(
        r"\n\*\*… cut here: this comment stops after 5 parts; the remaining (\d+) characters are in the job "
        rf"summary and the workflow run's artifact {re.escape(escape.code(artifact))}\.\*\*\n",
        bodies[-1],
    )
    shown = "".join("".join(read(body).code) for body in bodies)
    footer = "\n\n---\n_orgsync · commit `fffffff`_\n"  # the comment's body is the text and this footer
    head = whole.index("`````\n") + len("`````\n")
    assert int(rest) == len(whole) + len(footer) - head - len(shown)  # shown + left out = all, exactly
    assert (tmp_path / "summary").read_text() == whole + "\n"  # under 1 MiB: the summary has all of it


def test_a_shorter_error_updates_the_parts_in_place_and_deletes_the_rest(
    tmp_path: Path, github: FakeGitHub
) -> None:
    root = hostile_manifests(tmp_path / "repo")
    github.add_pull_request(5)
    env = env_for(tmp_path, github, ORGSYNC_WORKING_DIRECTORY=str(root))
    assert main([], env, in_process) == 1
    first = [c["id"] for c in github.comments_on(5)]
    for extra in sorted((root / "manifests").glob("d*.yaml"))[3:]:
        extra.unlink()  # three manifests' errors: two parts
    assert main([], env, in_process) == 1
    bodies = assert_well_formed_parts(github.comments_on(5), 2)
    assert [c["id"] for c in github.comments_on(5)] == first[:2]
    assert "cut here" not in bodies[-1]


def test_a_hostile_csv_header_makes_at_most_five_well_formed_comments(
    tmp_path: Path, github: FakeGitHub
) -> None:
    root = write(tmp_path / "repo", n=2, key="note")
    people = root / "data" / "people.csv"
    rows = list(csv.reader(people.open()))
    columns = [f"c{i} {HOSTILE}" for i in range(2_000)]  # a 200 KB header of attacker markdown
    with people.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerows([rows[0] + columns, *(row + [""] * len(columns) for row in rows[1:])])
    github.add_pull_request(5)
    assert main([], env_for(tmp_path, github, ORGSYNC_WORKING_DIRECTORY=str(root)), in_process) == 1
    comments = github.comments_on(5)
    # 2,005 columns pass ORGSYNC_LIMIT_SOURCE_COLUMNS (issue 23, item 11): one line refuses the header, and
    # the comment is one well-formed part with none of the header's markdown in it.
    [comment] = comments
    assert fences_balanced(comment["body"]) and "evil" not in comment["body"]
    assert "the header has at least 2005 columns, more than the limit of 2000" in comment["body"]
    assert "".join(assert_inert(comment["body"]).text).count("evil") == 0


def test_the_job_summary_is_cut_at_one_mebibyte_with_its_fence_closed(
    tmp_path: Path, github: FakeGitHub
) -> None:
    text = "\n".join(f"{i} {HOSTILE}" for i in range(12_000))  # 1.2 MB of attacker markdown
    markdown = failure_markdown("orgsync plan", Run(1, "", text))
    inputs = Inputs.from_env(env_for(tmp_path, github))
    write_summary(inputs, markdown, "orgsync-plan-x-comment")
    summary = (tmp_path / "summary").read_text()
    assert len(summary) <= 1_000_000 + 1 and fences_balanced(summary)
    assert re.search(
        r"\n\*\*… cut to fit the job summary \(\d+ characters left out\); the whole text is the artifact "
        r"<code>orgsync-plan-x-comment</code>\.\*\*\n\n$",
        summary,
    )
    outside = "".join(assert_inert(summary).text)
    assert "evil" not in outside


def test_a_huge_hostile_dataset_name_still_makes_inert_parts_within_the_limit(
    tmp_path: Path, github: FakeGitHub
) -> None:
    name = "People " + HOSTILE * 400  # a 40 KB name: the summary line of its <details> is cut too
    root = write(tmp_path / "repo", n=3, name=name, key="note")
    github.add_pull_request(5)
    assert main([], env_for(tmp_path, github, ORGSYNC_WORKING_DIRECTORY=str(root)), in_process) == 0
    comments = github.comments_on(5)
    # the plan's markdown fits one comment whatever the plan (issue 19): past the limit it keeps the summary and
    # says the rest is in the report, so there is no second part here; every part stays inert and in the limit
    assert len(comments) == 1 and "The plan is too large for one comment" in comments[0]["body"]
    for body in (c["body"] for c in comments):
        assert len(body) <= LIMIT
        assert_inert(body)
