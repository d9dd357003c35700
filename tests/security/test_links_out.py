"""Attacks through links planted in the repository: `orgsync.yaml` read from outside it, and the local tenant's
state written outside it (issue 23, item 16)."""

from __future__ import annotations

import os

import pytest

from tests.support.cli import orgsync
from tests.support.observe import opens_of
from tests.support.staff_repo import Repo

OUTSIDE_SECRET = "db-password-of-another-app-6612"


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_orgsync_yaml_linked_out_of_the_repository_is_never_read(tmp_path, command):
    outside = tmp_path / "runner" / "app-config.yaml"
    outside.parent.mkdir()
    outside.write_text(f"tenant: {OUTSIDE_SECRET}\nendpoint: {OUTSIDE_SECRET}\n")
    root = tmp_path / "repo"
    root.mkdir()
    Repo(root).write()
    (root / "orgsync.yaml").unlink()
    os.symlink(outside, root / "orgsync.yaml")
    with opens_of(outside) as reads:
        code, out, err = orgsync(command, "-C", str(root))
    assert code == 1 and reads == []
    message = (
        "orgsync.yaml is a link to a file outside the repository; expected the file itself, inside the "
        "repository (nothing was read from it)"
    )
    if command == "plan":
        assert out == "" and err.startswith(f"Error: orgsync.yaml: {message}\n")
    else:  # validate lists its problems on stdout
        assert f"orgsync.yaml: error: {message}\n" in out
    assert OUTSIDE_SECRET not in out + err
    assert not (root / ".orgsync").exists()


def test_orgsync_yaml_linked_inside_the_repository_is_fine(tmp_path):
    Repo(tmp_path).write()
    (tmp_path / "config").mkdir()
    (tmp_path / "orgsync.yaml").rename(tmp_path / "config" / "orgsync.yaml")
    os.symlink(tmp_path / "config" / "orgsync.yaml", tmp_path / "orgsync.yaml")
    code, _, err = orgsync("validate", "-C", str(tmp_path))
    assert code == 0, err


@pytest.mark.parametrize("name", ["tenant.db", "tenant.db-journal", "tenant.db-wal"])
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_a_local_state_file_linked_out_of_the_repository_is_never_written(tmp_path, name, command):
    target = tmp_path / "elsewhere" / "victim.db"
    target.parent.mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    Repo(root).write()
    (root / ".orgsync").mkdir()
    os.symlink(target, root / ".orgsync" / name)  # dangling: SQLite would create it
    code, out, err = orgsync(*command, "-C", str(root))
    assert (code, out) == (1, "")
    assert err.startswith(
        f"Error: .orgsync/{name}: is a link (to {target}); the local target writes its state only to files "
        "of its own in .orgsync/, never through a link\n"
    )
    assert list(target.parent.iterdir()) == []  # nothing created outside the repository
    assert [p.name for p in (root / ".orgsync").iterdir()] == [name]
