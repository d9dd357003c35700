"""The package as users get it: `python -m build` makes an sdist and a wheel (built from that sdist) that install
into a clean venv and run `init`, `validate` and `plan` outside the checkout.

Offline and fast: built without isolation (setuptools and build come with the dev extra), installed with
`--no-deps` into a venv that sees the test venv's dependencies through a path entry, never its orgsync.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from orgsync import __version__
from orgsync.repository import action_reference

REPO = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=240, env=env, check=False
    )


def test_the_wheel_installs_into_a_clean_venv_and_plans(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, REPO, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    assert (
        "License classifiers are deprecated" not in built.stderr
        and "project.license` as a TOML table" not in built.stderr
    )
    wheel = dist / f"orgsync-{__version__}-py3-none-any.whl"
    assert sorted(p.name for p in dist.iterdir()) == [wheel.name, f"orgsync-{__version__}.tar.gz"]
    names = zipfile.ZipFile(wheel).namelist()
    for data in (
        "orgsync/manifest/starter/orgsync.yaml",
        "orgsync/manifest/starter/workflow.yaml",
        "orgsync/manifest/starter/data/people.csv",
        "orgsync/plan/render/templates/plan.md.j2",
    ):
        assert data in names
    assert not [n for n in names if n.startswith("tests/")]

    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path).returncode == 0
    python = venv / "bin" / "python"
    site = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).stdout.strip()
    )
    # the dependencies only: a plain path entry (no .pth processing there), so the dev venv's editable orgsync
    # finder is not loaded and `import orgsync` can only find the wheel's copy
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        "--quiet",
        wheel,
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGVUE_", "PYTHON"))} | {"NO_COLOR": "1"}
    orgsync = venv / "bin" / "orgsync"
    where = run(python, "-c", "import orgsync; print(orgsync.__file__)", cwd=tmp_path, env=env)
    assert where.stdout.strip().startswith(str(site))
    assert run(orgsync, "--version", cwd=tmp_path, env=env).stdout == f"orgsync, version {__version__}\n"

    work = tmp_path / "elsewhere"
    work.mkdir()
    init = run(orgsync, "init", "repo", cwd=work, env=env)
    assert init.returncode == 0, init.stderr
    workflow = (work / "repo" / ".github" / "workflows" / "orgsync.yml").read_text().splitlines()
    ours = {line.split("uses:")[1].strip() for line in workflow if "uses:" in line and "actions/" not in line}
    assert ours == {
        action_reference()
    }  # the installed wheel's metadata names the repository ([project.urls])
    validated = run(orgsync, "-C", "repo", "validate", cwd=work, env=env)
    assert (validated.returncode, validated.stdout) == (0, "OK: 3 manifests, 3 sources, 25 rows\n")
    planned = run(
        orgsync, "-C", "repo", "plan", "--detailed-exitcode", "--out", "plan.bin", cwd=work, env=env
    )
    assert planned.returncode == 2, planned.stderr
    assert planned.stdout.rstrip().endswith(
        "Plan: 3 datasets to create, 0 to update · items: 25 to create, 0 to update, 0 to delete."
    )
    assert (work / "plan.bin").exists()  # relative to the current directory, not to -C
