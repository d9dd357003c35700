"""Optional parts are extras the manifests ask for (issue 22, point 11): which a repository needs, their pip
requirements, the message naming a missing one (the import failure is simulated in a real process), and the
database and xlsx sources without pyarrow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from orgsync.cli import cli
from orgsync.manifest.loader import load_project
from orgsync.sources.extras import needed, requirements
from tests.support.source_forms import every_source_form

# A process in which `HIDDEN` modules are not installed: a finder ahead of the others says they do not exist.
HIDING = """
import sys
from importlib.abc import MetaPathFinder

class Hidden(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Hidden())
from orgsync.cli import main
sys.argv = ["orgsync", *ARGS]
main()
"""


def without(
    modules: list[str], root: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    code = f"HIDDEN = {modules!r}\nARGS = {['-C', str(root), *args]!r}\n" + HIDING
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", **env},
    )


def test_the_extras_a_repository_needs(tmp_path):
    env = every_source_form(tmp_path)
    project = load_project(tmp_path, env={})
    assert needed(project, env) == ["parquet", "sqlite", "xlsx"]
    assert needed(project, {}) == ["parquet", "xlsx"]  # an unset connection: validate reports it
    assert needed(project, {"ORGSYNC_SECRET_HR": "postgresql://u:pw@db/hr"}) == [
        "parquet",
        "postgresql",
        "xlsx",
    ]
    result = CliRunner().invoke(cli, ["extras", "-C", str(tmp_path)], env=env)
    assert (result.exit_code, result.output) == (0, "parquet\nsqlite\nxlsx\n")
    result = CliRunner().invoke(cli, ["extras", "-C", str(tmp_path), "--requirements"], env=env)
    assert (result.exit_code, result.output) == (
        0,
        "adbc-driver-manager>=1.0\nadbc-driver-sqlite>=1.0\nfastexcel>=0.11\npyarrow>=14\n",
    )


def test_the_requirements_of_each_extra_come_from_the_package_metadata():
    assert requirements(["postgresql"]) == [
        "adbc-driver-manager>=1.0",
        "adbc-driver-postgresql>=1.0",
        "pyarrow>=14",
    ]
    assert requirements(["xlsx", "sqlite"]) == [
        "adbc-driver-manager>=1.0",
        "adbc-driver-sqlite>=1.0",
        "fastexcel>=0.11",
        "pyarrow>=14",
    ]
    assert requirements([]) == []


def test_a_missing_extra_is_named_with_the_line_that_installs_it(tmp_path):
    env = every_source_form(tmp_path)
    done = without(["fastexcel", "adbc_driver_sqlite"], tmp_path, env, "validate")
    assert done.returncode == 1, done.stderr
    errors = [line.strip() for line in done.stdout.splitlines() if ": error: " in line]
    install = 'pip install "orgsync[{}] @ git+https://github.com/orgsync/orgsync@v0.2.0"'
    assert errors == [
        f"data/p.xlsx: error: an .xlsx source needs the `xlsx` extra, which is not installed: "
        f"{install.format('xlsx')} (the orgsync Action installs the extras the manifests need by itself)",
        "manifests/database.yaml:10:11: error: items.source: a sqlite:// database source needs the `sqlite` "
        f"extra, which is not installed: {install.format('sqlite')} (the orgsync Action installs the extras the "
        "manifests need by itself) (connection from ORGSYNC_SECRET_HR)",
        "manifests/query.yaml:13:9: error: items.sources.db: a sqlite:// database source needs the `sqlite` "
        f"extra, which is not installed: {install.format('sqlite')} (the orgsync Action installs the extras the "
        "manifests need by itself) (connection from ORGSYNC_SECRET_HR)",
    ]
    assert "Traceback" not in done.stderr


def test_csv_json_and_xlsx_read_without_pyarrow_and_parquet_or_a_database_names_its_extra(tmp_path):
    env = every_source_form(tmp_path)
    done = without(["pyarrow"], tmp_path, env, "validate")
    errors = [line.split(": error: ")[0].strip() for line in done.stdout.splitlines() if ": error: " in line]
    assert (done.returncode, errors) == (
        1,
        ["data/p.parquet", "manifests/database.yaml:10:11", "manifests/query.yaml:13:9"],
    )
    assert done.stdout.count("needs the `sqlite` extra, which is not installed") == 2
    assert done.stdout.count("a .parquet source needs the `parquet` extra, which is not installed") == 1
    for name in ("database", "query", "parquet"):
        (tmp_path / "manifests" / f"{name}.yaml").unlink()
    done = without(["pyarrow"], tmp_path, env, "validate")
    assert (done.returncode, done.stdout, done.stderr) == (0, "OK: 7 manifests, 7 sources, 14 rows\n", "")
