"""The layering of docs/architecture.md, checked by import-linter with the contracts in pyproject.toml.

The first test fails CI on a layering violation in the tree; the second proves that each contract does
catch the violation it is written for, on a copy of the package with one bad import per contract.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"

# file in the package -> an import that breaks exactly one contract (by its name in pyproject.toml)
VIOLATIONS = {
    "plan/link_ends_check.py": ("from orgsync.api import endpoints", "plan/ is pure"),
    "apply/order.py": ("import orgsync.commands.apply", "apply/ takes a plan and a client Protocol"),
    "state/snapshot.py": (
        "from orgsync.api.target import open_client",
        "only commands/ and cli.py open clients",
    ),
    "sources/table.py": ("import orgsync.commands.plan", "nothing below the command layer imports it"),
    "emulator/values.py": ("from orgsync.errors import ApiError", "the emulator stands apart"),
    "commands/pipeline.py": ("import orgsync.commands.apply", "no import circle"),
    "emulator/state.py": ("from orgsync.emulator import service", "no import circle"),
}
CONTRACTS = {contract for _, contract in VIOLATIONS.values()}


def test_the_package_keeps_every_layering_contract():
    assert lint_imports(str(CONFIG), no_cache=True, no_logo=True) == 0


def test_each_contract_breaks_on_the_import_it_forbids(tmp_path):
    package = tmp_path / "orgsync"
    shutil.copytree(ROOT / "orgsync", package, ignore=shutil.ignore_patterns("__pycache__"))
    for name, (line, _) in VIOLATIONS.items():
        path = package / name
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports({str(CONFIG)!r}, no_cache=True, no_logo=True))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    summary = [
        line
        for line in run.stdout.splitlines()
        if re.search(r"(KEPT|BROKEN)( \(\d+ ignored imports?\))?$", line)
    ]
    broken = [line for line in summary if "BROKEN" in line]
    assert len(summary) == len(broken) == len(CONTRACTS), run.stdout
    for _, contract in VIOLATIONS.values():
        assert any(line.startswith(contract) for line in broken), (contract, run.stdout)
    assert f"Contracts: 0 kept, {len(CONTRACTS)} broken." in run.stdout
    # one contract, two circles: the engine's and the emulator's (its parts must never take the service again)
    for package, edge in (
        ("orgsync.commands", ".pipeline -> .apply"),
        ("orgsync.emulator", ".state -> .service"),
    ):
        assert f"No cycles are allowed in {package}." in run.stdout and edge in run.stdout, run.stdout
