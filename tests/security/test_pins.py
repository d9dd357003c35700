"""Attacks through `tenant:` and `endpoint: local`: a pull request picks the tenant the CI token acts on, or
swaps the pinned tenant for one it made up in `.orgsync/tenant.db` (issue 23, items 1 and 2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import httpx
import pytest

from orgsync.commands.plan import PlanOptions, run_plan
from orgsync.errors import ConfigError
from tests.support.cli import orgsync
from tests.support.observe import opens_of
from tests.support.staff_repo import Repo

TOKEN = "ci-token-for-acme-only-5521"
PINNED = "https://orgvue.eu-west-1.concentra.io"


def retarget(repo: Repo, tenant: str) -> None:
    text = (repo.root / "orgsync.yaml").read_text().replace("tenant: ACME", f"tenant: {tenant}")
    (repo.root / "orgsync.yaml").write_text(text)


TENANT_ERROR = (
    "Error: orgsync.yaml: tenant: tenant PAYROLL is not the tenant ORGVUE_TENANT pins (ACME); "
    "the token is used only for that tenant"
)


@pytest.mark.socket
@pytest.mark.parametrize(
    "command",
    [("plan",), ("plan", "--format", "markdown", "--detailed-exitcode"), ("apply", "--auto-approve")],
)
def test_a_pr_that_names_another_tenant_stops_before_the_token_is_read(tmp_path, emulator_factory, command):
    server = emulator_factory(token=TOKEN)
    token_file = tmp_path / "runner-temp" / "orgvue-token"
    token_file.parent.mkdir()
    token_file.write_text(TOKEN)
    repo = Repo(tmp_path / "repo", endpoint=server.base_url)
    repo.root.mkdir()
    repo.write()
    retarget(repo, "PAYROLL")
    with opens_of(token_file) as reads:
        code, out, err = orgsync(
            *command,
            "-C",
            str(repo.root),
            env={
                "ORGVUE_TENANT": "ACME",
                "ORGVUE_URL": server.base_url,
                "ORGVUE_TOKEN_FILE": str(token_file),
            },
        )
    assert (code, out) == (1, "")
    assert err.startswith(TENANT_ERROR + "\n")
    assert 'set `tenant: "{{ env.ORGVUE_TENANT }}"` in orgsync.yaml' in err
    assert reads == []  # the token file was never opened
    log = httpx.get(f"{server.base_url}/_emulator/requests", headers={"Authorization": f"Bearer {TOKEN}"})
    assert log.json() == []  # nothing was sent


class Watched(Mapping[str, str]):
    """An environment that records every variable read from it."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.read: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.read.append(key)
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def test_the_token_variable_is_never_read_either(tmp_path):
    repo = Repo(tmp_path, endpoint=PINNED).write()
    retarget(repo, "PAYROLL")
    env = Watched({"ORGVUE_TENANT": "ACME", "ORGVUE_URL": PINNED, "ORGVUE_TOKEN": TOKEN})
    with pytest.raises(ConfigError) as err:
        run_plan(PlanOptions(root=repo.root), env)
    assert str(err.value).startswith(TENANT_ERROR.removeprefix("Error: "))
    assert "ORGVUE_TOKEN" not in env.read and "ORGVUE_TENANT" in env.read


def test_the_pinned_tenant_itself_and_a_templated_one_are_accepted(tmp_path):
    repo = Repo(tmp_path, endpoint="local").write()
    code, _, err = orgsync("plan", "-C", str(repo.root), env={"ORGVUE_TENANT": "ACME"})
    assert code == 0, err
    text = (
        (repo.root / "orgsync.yaml").read_text().replace("tenant: ACME", "tenant: '{{ env.ORGVUE_TENANT }}'")
    )
    (repo.root / "orgsync.yaml").write_text(text)
    code, _, err = orgsync("plan", "-C", str(repo.root), env={"ORGVUE_TENANT": "ACME"})
    assert code == 0, err


LOCAL_ERROR = (
    "Error: orgsync.yaml: endpoint: endpoint local (the embedded emulator) is refused while ORGVUE_URL pins "
    "the endpoint; expected the pinned tenant"
)


@pytest.mark.parametrize(
    "command",
    [
        ("plan",),
        ("plan", "--format", "markdown", "--detailed-exitcode"),  # the Action's drift check
        ("apply", "--auto-approve"),
    ],
)
def test_endpoint_local_is_refused_while_the_url_is_pinned(tmp_path, command):
    repo = Repo(tmp_path, endpoint="local").write()
    planted = repo.root / ".orgsync" / "tenant.db"
    planted.parent.mkdir()
    planted.write_bytes(b"a tenant the pull request made up")
    before = planted.stat()
    with opens_of(planted) as reads:
        code, out, err = orgsync(
            *command, "-C", str(repo.root), env={"ORGVUE_URL": PINNED, "ORGVUE_TOKEN": TOKEN}
        )
    assert (code, out) == (1, "")
    assert err.startswith(LOCAL_ERROR + "\n")
    assert reads == [] and planted.read_bytes() == b"a tenant the pull request made up"
    assert planted.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in planted.parent.iterdir()) == ["tenant.db"]


def test_endpoint_local_without_a_pin_still_works(tmp_path):
    repo = Repo(tmp_path, endpoint="local").write()
    code, _, err = orgsync("plan", "-C", str(repo.root))
    assert code == 0, err
