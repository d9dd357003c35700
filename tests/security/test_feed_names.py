"""`drift --skip-feed` asks git which sources are committed. A committed file whose name git would read as
pathspec magic (`:(glob)people.csv` at the repository root matches `people.csv`, not itself) made a committed
dataset look like the feed, hiding its real drift. File names are given to git as literal pathspecs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from orgsync.manifest.loader import load_project
from orgsync.sources.feed import feed_datasets
from tests.support.source_repo import repo

CSV = b"employee_id,full_name\nE1,Ada\n"


def _commit(root: Path) -> None:
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(
            ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
            check=True,
            capture_output=True,
            timeout=60,
        )


def test_a_committed_source_named_like_pathspec_magic_is_not_the_feed(tmp_path: Path) -> None:
    repo(tmp_path, "  source: '../:(glob)people.csv'\n")
    (tmp_path / ":(glob)people.csv").write_bytes(CSV)
    (tmp_path / "people.csv").write_bytes(CSV)  # what the magic would match instead
    _commit(tmp_path)

    assert feed_datasets(load_project(tmp_path, env={})) == {}

    (tmp_path / ":(glob)people.csv").write_bytes(CSV + b"E2,Grace\n")
    assert feed_datasets(load_project(tmp_path, env={})) == {
        "People": ":(glob)people.csv differs from the commit"
    }
