"""Attacks through YAML: alias bombs, deep nesting and oversized manifests."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from orgsync.errors import ConfigError
from orgsync.manifest.loader import load_project
from tests.support.repo import make_repo

MiB = 1024 * 1024
# The classic "billion laughs" in 446 bytes: 9 levels of 9 aliases = 9^9 strings once expanded.
BOMB = """kind: Dataset
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


YAML_CONFIG = "tenant: ACME\nendpoint: local\nmanifests: [manifests]\n"


def problems(root: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_project(root, env=env or {})
    return [str(p) for p in err.value.problems]


def test_an_alias_bomb_is_refused_at_its_line_before_it_expands(tmp_path):
    assert len(BOMB) < 460
    tracemalloc.start()
    try:
        found = problems(make_repo(tmp_path, config=YAML_CONFIG, manifests={"evil.yaml": BOMB}))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == [
        "manifests/evil.yaml:7:4: YAML expands to more than 200000 values (aliases expanded; the limit "
        "ORGSYNC_LIMIT_YAML_NODES=200000), like an alias bomb"
    ]
    assert peak < 20 * MiB


def test_many_aliases_are_refused_too(tmp_path):
    text = "kind: Dataset\nx: &x 1\nl: [" + ",".join(["*x"] * 101) + "]\n"
    assert problems(make_repo(tmp_path, config=YAML_CONFIG, manifests={"evil.yaml": text})) == [
        "manifests/evil.yaml:3:305: more than 100 YAML aliases (*name) in one file (the limit "
        "ORGSYNC_LIMIT_YAML_ALIASES=100); expected few anchors, for small reuse"
    ]


@pytest.mark.parametrize(
    "text, where",
    [
        ("kind: Dataset\nx: " + "[" * 5000 + "]" * 5000 + "\n", "2:67"),
        ("kind: Dataset\nx:\n" + "".join(" " * i + "- \n" for i in range(200)), "66:64"),
    ],
)
def test_nesting_5000_deep_is_a_clear_error_not_a_traceback(tmp_path, text, where):
    assert problems(make_repo(tmp_path, config=YAML_CONFIG, manifests={"evil.yaml": text})) == [
        f"manifests/evil.yaml:{where}: YAML nested more than 64 levels deep (the limit ORGSYNC_LIMIT_YAML_DEPTH=64); "
        "expected a manifest's few levels"
    ]


def test_a_deep_orgsync_yaml_is_refused_the_same_way(tmp_path):
    config = "tenant: ACME\nendpoint: local\nx: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"
    found = problems(make_repo(tmp_path, config=config, manifests={"evil.yaml": "kind: Dataset\n"}))
    assert found[0].startswith("orgsync.yaml:3:") and "nested more than 64 levels" in found[0]


def test_an_oversized_manifest_is_refused_without_parsing_it(tmp_path):
    text = "kind: Dataset\n# " + "x" * (4 * MiB) + "\n"
    assert problems(make_repo(tmp_path, config=YAML_CONFIG, manifests={"evil.yaml": text})) == [
        f"manifests/evil.yaml: the file is {len(text)} bytes, more than the limit of 4194304 "
        "(ORGSYNC_LIMIT_MANIFEST_BYTES=4194304); expected a manifest, not data (put items in a source file)"
    ]


def test_limits_are_raised_only_from_the_environment(tmp_path):
    text = "kind: Dataset\nx: " + "[" * 70 + "]" * 70 + "\n"
    root = make_repo(
        tmp_path,
        config="tenant: ACME\nendpoint: local\nmanifests: [manifests]\nlimits: {yaml_depth: 100}\n",
        manifests={"evil.yaml": text},
    )
    assert any("nested more than 64 levels" in p for p in problems(root))
    assert not any("nested" in p for p in problems(root, {"ORGSYNC_LIMIT_YAML_DEPTH": "100"}))


def test_ordinary_anchors_still_work(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "orgsync.yaml").write_text("tenant: ACME\nendpoint: local\nmanifests: [manifests]\n")
    (tmp_path / "manifests" / "a.yaml").write_text(
        "kind: Dataset\nname: A\ntype: PEOPLE\nautoId: id\nlabelId: id\n"
        "properties:\n  - &p {key: id, name: ID, type: text}\n"
    )
    assert load_project(tmp_path, env={}).manifests[0].name == "A"
