"""Templates that multiply (issue 23, item 12): a 137-byte `replace` chain makes 64 KiB, and YAML aliases reuse it
thousands of times. Each rendered value, each file's and the repository's rendered total are bounded; the
same template text is rendered once however many aliases repeat it."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import orgsync
from tests.support.source_repo import ID_NAME_PROPS, repo

A16 = "a" * 16
CHAIN_64K = (
    "{{ 'a' | replace('a', '"
    + A16
    + "') | replace('a', '"
    + A16
    + "') | replace('a', '"
    + A16
    + "') | replace('a', '"
    + A16
    + "') }}"
)
CHAIN_4K = (
    "{{ 'a' | replace('a', '" + A16 + "') | replace('a', '" + A16 + "') | replace('a', '" + A16 + "') }}"
)


def aliased(template: str, fan: int = 30) -> str:
    """A `junk:` block using `template` fan³ times through three levels of aliases (3 × fan alias uses)."""
    uses = ", ".join
    return (
        f'junk:\n  t: &t "{template}"\n  l1: &l1 [{uses(["*t"] * fan)}]\n'
        f"  l2: &l2 [{uses(['*l1'] * fan)}]\n  l3: [{uses(['*l2'] * fan)}]\n"
    )


def run(root: Path, **limits: str) -> tuple[int, list[str]]:
    env = {f"ORGSYNC_LIMIT_{k.upper()}": v for k, v in limits.items()}
    code, out, err = orgsync("validate", "--root", str(root), env=env)
    assert "Traceback" not in out + err and len(out) < 20_000
    return code, [line.strip() for line in out.splitlines() if line.startswith("  ")]


def test_a_value_rendering_64_kib_is_refused_once_and_its_27000_aliases_are_counted_not_listed(tmp_path):
    assert len(CHAIN_64K) < 160
    root = repo(
        tmp_path,
        "  source: ../data/p.csv\n",
        {"p.csv": b"employee_id,full_name\nE1,A\n"},
        ID_NAME_PROPS,
        aliased(CHAIN_64K),
    )
    code, lines = run(root)
    message = (
        "the template is refused: its filters produce more than 65536 characters (the limit "
        "ORGSYNC_LIMIT_TEMPLATE_VALUE_CHARS=65536); expected a short manifest value"
    )
    assert code == 1
    assert lines[1] == f"manifests/people.yaml:7:6: error: junk.t: {message}"
    assert lines[20] == f"manifests/people.yaml:7:6: error: junk.l1[18]: {message}"
    assert lines[21] == (  # 1 + 30 + 900 + 27,000 uses, 20 listed
        "manifests/people.yaml:7:6: error: ... and 27911 more like the above (the template is refused: its "
        "filters produce more than … characters (the limit …)"
    )
    assert len(lines) == 22


def test_the_file_total_stops_rendering_at_the_use_that_passes_it(tmp_path):
    root = repo(
        tmp_path,
        "  source: ../data/p.csv\n",
        {"p.csv": b"employee_id,full_name\nE1,A\n"},
        ID_NAME_PROPS,
        aliased(CHAIN_4K),
    )
    assert run(root) == (  # 4096 characters a use: the 1025th (1 + 30 + 900 + 94) passes 4 MiB
        1,
        [
            "manifests/people.yaml:7:6: error: junk.l3[0][3][3]: templates in this file render to more than 4194304 "
            "characters (the limit ORGSYNC_LIMIT_TEMPLATE_FILE_CHARS=4194304; each use of a YAML alias counts); "
            "rendering stopped here; expected short templated values"
        ],
    )


def test_the_limits_come_from_the_environment_and_the_repository_total_spans_files(tmp_path):
    root = repo(
        tmp_path,
        "  source: ../data/p.csv\n",
        {"p.csv": b"employee_id,full_name\nE1,A\n"},
        ID_NAME_PROPS,
        aliased(CHAIN_4K, 2),
    )
    assert run(root, template_value_chars="4000")[1][1].endswith(
        "junk.t: the template is refused: its filters produce more than 4000 characters (the limit "
        "ORGSYNC_LIMIT_TEMPLATE_VALUE_CHARS=4000); expected a short manifest value"
    )
    other = (root / "manifests" / "people.yaml").read_text().replace("name: People", "name: Others")
    (root / "manifests" / "others.yaml").write_text(other)
    code, lines = run(root, template_file_chars="70000", template_total_chars="100000")
    assert (
        code == 1
        and (  # 15 uses of 4096 in others.yaml (read first), then the 10th in people.yaml passes
            "manifests/people.yaml:7:6: error: junk.l3[0][1][0]: templates in the repository render to more than "
            "100000 characters (the limit ORGSYNC_LIMIT_TEMPLATE_TOTAL_CHARS=100000; each use of a YAML alias "
            "counts); rendering stopped here; expected short templated values"
        )
        in lines
    )
    assert not any("others.yaml" in line and "render to more" in line for line in lines)
