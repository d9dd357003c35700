"""Manifests written from a live tenant (`orgsync import`): one YAML document per dataset, as text.

Pure: takes the live dataset resources (as GET /datasets/{id} returns them) and gives the files to write.
Every name is kept exactly (JSON-quoted, which YAML reads back verbatim); a value that the loader would
take for a Jinja template is wrapped in `{% raw %}` so it reads back as written. Whatever the manifest
format cannot express is reported per dataset, never dropped in silence.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orgsync.manifest.models import LINK_CORE_KEYS

MANIFEST_TYPES = ("text", "number", "date", "boolean")
_TEMPLATE_MARKERS = ("{{", "{%", "{#")
# Words that suggest pay, national ids, dates of birth, bank details, addresses or health (a guess to check).
_SENSITIVE_WORDS = (
    "salary",
    "salaries",
    "pay",
    "payroll",
    "wage",
    "wages",
    "compensation",
    "bonus",
    "remuneration",
    "income",
    "ssn",
    "nino",
    "ni",
    "national",
    "insurance",
    "passport",
    "tax",
    "tin",
    "sin",
    "ssid",
    "social",
    "security",
    "dob",
    "birth",
    "birthday",
    "birthdate",
    "age",
    "bank",
    "iban",
    "bic",
    "swift",
    "sort",
    "account",
    "routing",
    "address",
    "street",
    "postcode",
    "postal",
    "zip",
    "home",
    "health",
    "medical",
    "disability",
    "sickness",
    "sick",
    "diagnosis",
)
_SENSITIVE_PHRASES = (
    "dateofbirth",
    "nationalid",
    "socialsecurity",
    "sortcode",
    "accountnumber",
    "homeaddress",
)


@dataclass(frozen=True)
class ImportedFile:
    """One manifest file to write: its path in the repository, its text, and what the reader should check."""

    dataset: str  # the dataset's name
    path: str  # relative to the repository root, e.g. "manifests/people.yaml"
    text: str
    sensitive: tuple[str, ...]  # property keys marked sensitive (guessed or asked for)
    guessed: tuple[str, ...]  # the subset that was guessed
    warnings: tuple[str, ...]  # what the manifest format cannot express, and other things to check
    item_columns: tuple[
        str, ...
    ] = ()  # the property keys the items file carries, in order (with --with-items)


def slugify(name: str, taken: Collection[str] = ()) -> str:
    """A file-name slug of a dataset name (`People to Positions` -> `people-to-positions`), unique in `taken`."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-") or "dataset"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def guess_sensitive(key: str, name: str | None = None) -> bool:
    """Does the property's key or display name look like pay, a national id, a birth date, bank, address or health?"""
    for text in (key, name or ""):
        spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text).lower()
        words = [w for w in re.split(r"[^a-z0-9]+", spaced) if w]
        if any(w in _SENSITIVE_WORDS for w in words) or any(p in "".join(words) for p in _SENSITIVE_PHRASES):
            return True
    return False


def yaml_scalar(value: str) -> str:
    """`value` as a YAML scalar that the loader reads back exactly, templating included."""
    if any(marker in value for marker in _TEMPLATE_MARKERS):
        if "{% endraw" in value or "{%endraw" in value or "{%- endraw" in value:
            raise ValueError(f"{value!r} contains a Jinja `endraw` tag, which a manifest cannot quote")
        value = "{% raw %}" + value + "{% endraw %}"
    return json.dumps(value, ensure_ascii=False)


def _flow_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(yaml_scalar(v) for v in values) + "]"


def _properties(resource: Mapping[str, Any], *, links: bool) -> list[dict[str, Any]]:
    props = [
        p for p in resource.get("properties") or [] if isinstance(p, dict) and isinstance(p.get("key"), str)
    ]
    return [p for p in props if not (links and p["key"] in LINK_CORE_KEYS)]


def _link_values(resource: Mapping[str, Any]) -> list[str]:
    """The core link properties an items file carries besides the ends: `allocation` when the links dataset has
    it (a links source may carry it without declaring it, as the tenant's own export does)."""
    keys = {p.get("key") for p in resource.get("properties") or [] if isinstance(p, dict)}
    return ["allocation"] if "allocation" in keys else []


def _property_line(prop: Mapping[str, Any], *, sensitive: bool, guessed: bool) -> str:
    fields = [
        f"key: {yaml_scalar(prop['key'])}",
        f"name: {yaml_scalar(str(prop.get('name') or prop['key']))}",
        f"type: {prop['type']}",
    ]
    if prop.get("isRequired"):
        fields.append("isRequired: true")
    if prop.get("onDemand") and isinstance(prop.get("formula"), str):
        fields += ["onDemand: true", f"formula: {yaml_scalar(prop['formula'])}"]
    if sensitive:
        fields.append("sensitive: true")
    line = "  - {" + ", ".join(fields) + "}"
    return line + ("   # guessed: check" if guessed else "")


@dataclass(frozen=True)
class DumpOptions:
    """What the user asked of `orgsync import` that shapes each file."""

    header: str  # the comment lines at the top of each file (without `# `)
    sensitive_keys: frozenset[str] = frozenset()  # --sensitive KEY
    with_items: bool = False
    include_sensitive: bool = False
    pin_ids: frozenset[str] = frozenset()  # dataset ids whose name is not unique in the tenant: pinned


@dataclass(frozen=True)
class LiveResource:
    """One live dataset as the importer read it: the typed facts, and the answer as sent, read field by field."""

    dataset_id: str
    name: str
    links: bool  # a links dataset
    fields: Mapping[str, Any]


def dataset_file(
    live: LiveResource,
    path: str,
    names_by_id: Mapping[str, str],
    ends: Mapping[str, str | None],
    opts: DumpOptions,
    items_source: str | None,
) -> ImportedFile:
    """The manifest of one live dataset or links dataset (`ends`: fromDatasetId/toDatasetId for links)."""
    resource, name, links = live.fields, live.name, live.links
    warnings: list[str] = []
    lines = [f"# {line}" if line else "#" for line in opts.header.splitlines()]
    lines.append(f"kind: {'LinksDataset' if links else 'Dataset'}")
    lines.append(f"name: {yaml_scalar(name)}")
    if live.dataset_id in opts.pin_ids:
        lines.append(
            f"datasetId: {yaml_scalar(live.dataset_id)}   # the tenant has two datasets of this "
            "name: this manifest manages this one"
        )
    if links:
        for field, label in (("fromDatasetId", "from"), ("toDatasetId", "to")):
            end_id = ends.get(field)
            end = names_by_id.get(end_id or "")
            if end is None:
                raise ValueError(
                    f"its `{label}` end ({end_id or 'not given'}) is not a dataset of the tenant"
                )
            lines.append(f"{label}: {yaml_scalar(end)}")
    else:
        lines.append(f"type: {yaml_scalar(str(resource.get('type')))}")
        for field in ("autoId", "labelId", "treeId", "treeParentId"):
            if isinstance(resource.get(field), str):
                lines.append(f"{field}: {yaml_scalar(resource[field])}")
    tags = [t for t in resource.get("tags") or [] if isinstance(t, str)]
    if tags:
        lines.append(f"tags: {_flow_list(tags)}")
    sensitive: list[str] = []
    guessed: list[str] = []
    kept: list[dict[str, Any]] = []
    for prop in _properties(resource, links=links):
        if prop.get("type") not in MANIFEST_TYPES:
            warnings.append(
                f"property {prop['key']!r} has type {prop.get('type')!r}, which a manifest cannot "
                f"declare ({', '.join(MANIFEST_TYPES)}): left out, so orgsync never manages it"
            )
            continue
        kept.append(prop)
    lines.append("properties:" if kept else "properties: []")
    for prop in kept:
        asked = prop["key"] in opts.sensitive_keys
        guess = not asked and guess_sensitive(prop["key"], prop.get("name"))
        if asked or guess:
            sensitive.append(prop["key"])
        if guess:
            guessed.append(prop["key"])
        lines.append(_property_line(prop, sensitive=asked or guess, guessed=guess))
    columns: tuple[str, ...] = ()
    if opts.with_items and items_source is not None:
        owned = [
            p["key"]
            for p in kept
            if not p.get("onDemand") and (opts.include_sensitive or p["key"] not in sensitive)
        ]
        columns = tuple((["from_id", "to_id", *_link_values(resource)] if links else []) + owned)
        lines += [
            "items:",
            f"  source: {yaml_scalar(items_source)}",
            "  mode: upsert   # `mirror` would also delete every item of the dataset that is not in the source",
        ]
        left = [k for k in sensitive if k not in owned]
        if left:
            lines.append(f"  handKept: {_flow_list(left)}   # sensitive: import never writes these values")
    return ImportedFile(
        dataset=name,
        path=path,
        text="\n".join(lines) + "\n",
        sensitive=tuple(sensitive),
        guessed=tuple(guessed),
        warnings=tuple(warnings),
        item_columns=columns,
    )


def config_file(tenant: str, endpoint: str, header: str, manifests: str = "manifests") -> str:
    """`orgsync.yaml` for an imported tenant."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [
        f"tenant: {yaml_scalar(tenant)}",
        f"endpoint: {yaml_scalar(endpoint)}",
        f"manifests: {manifests}",
    ]
    return "\n".join(lines) + "\n"


def select(names: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """The names matching any glob of `patterns` (all when none is given), in their order."""
    if not patterns:
        return list(names)
    return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
