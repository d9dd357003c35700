"""The manifest format: `orgsync.yaml` and the `Dataset` / `LinksDataset` documents, as pydantic models.

These models are the contract between the loader and every later stage; the JSON Schema in
`manifests/orgsync.schema.json` is generated from them (`orgsync schema`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from orgsync.errors import Location, Problem
from orgsync.secrets import shown_url

PropertyType = Literal["text", "number", "date", "boolean"]
ItemsMode = Literal["insert", "update", "upsert", "mirror"]
DateFormat = Literal["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY"]
SourceFormat = Literal["csv", "tsv", "json", "jsonl", "xlsx", "parquet"]

LINK_CORE_KEYS = ("from_id", "to_id", "link_id", "allocation")
TENANT_PATTERN = r"^[A-Z][A-Z0-9_]{0,29}$"
LOCAL_ENDPOINT = "local"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SafetyPolicy(_Strict):
    """Thresholds that block a plan; layered default -> orgsync.yaml -> manifest."""

    maxDeletePercent: float = Field(
        10, ge=0, le=100, description="Item deletes above this % of existing items block the plan."
    )
    maxUpdatePercent: float = Field(
        50,
        ge=0,
        le=100,
        description="Item updates that overwrite or clear a value, above this % of existing items, block the plan (filling empty cells does not count).",
    )
    minExistingItems: int = Field(
        10,
        ge=0,
        description="Datasets with fewer existing items than this are never blocked by the percentages.",
    )


class SafetyOverride(_Strict):
    """Per-manifest override of the project's safety policy; unset fields inherit."""

    maxDeletePercent: float | None = Field(None, ge=0, le=100)
    maxUpdatePercent: float | None = Field(None, ge=0, le=100)
    minExistingItems: int | None = Field(None, ge=0)


class ProjectConfig(_Strict):
    """`orgsync.yaml` at the repository root."""

    tenant: str = Field(description="Orgvue tenant id, ^[A-Z][A-Z0-9_]{0,29}$.")
    endpoint: str = Field(
        "local",
        description="https base URL of the Orgvue API, or `local` for the embedded emulated tenant in .orgsync/.",
    )
    manifests: str | list[str] = Field(
        "manifests", description="Folder(s) or glob(s) of manifest files, relative to the repository root."
    )
    safety: SafetyPolicy = Field(default_factory=SafetyPolicy)

    @field_validator("tenant")
    @classmethod
    def _tenant_id(cls, value: str) -> str:
        # Checked here, not in the JSON Schema: in the file the value may still be a template.
        if not re.match(TENANT_PATTERN, value):
            raise ValueError(f"expected a tenant id matching {TENANT_PATTERN} (e.g. ACME), got {value!r}")
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        local_http = re.match(r"^http://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/.*)?$", value)
        if value != LOCAL_ENDPOINT and not value.startswith("https://") and not local_http:
            raise ValueError(
                f"expected an https:// base URL or `local`, got {shown_url(value)!r} "
                "(plain http is allowed only for localhost)"
            )
        return value

    @property
    def is_local(self) -> bool:
        return self.endpoint == LOCAL_ENDPOINT

    def manifest_patterns(self) -> list[str]:
        return [self.manifests] if isinstance(self.manifests, str) else list(self.manifests)


# For editors: `formula` goes with `onDemand: true` and only with it (the model checks the same).
_ON_DEMAND_SCHEMA: JsonDict = {
    "if": {"required": ["onDemand"], "properties": {"onDemand": {"const": True}}},
    "then": {"required": ["formula"], "properties": {"formula": {"type": "string"}}},
    "else": {"properties": {"formula": {"type": "null"}}},
}


RESERVED_PREFIX = "__"  # the plan's working columns (row hashes, row numbers) are named so: no key may be


class PropertySpec(_Strict):
    """One property of a dataset, identified by `key`."""

    model_config = ConfigDict(json_schema_extra=_ON_DEMAND_SCHEMA)

    key: str = Field(
        min_length=1,
        json_schema_extra={"not": {"pattern": "^__"}},
        description="The property's key; a key starting with `__` is orgsync's own (a working column).",
    )
    name: str = Field(min_length=1)
    type: PropertyType
    sensitive: bool = Field(False, description="Values are never printed, logged or saved in plan text.")

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, key: str) -> str:
        if key.startswith(RESERVED_PREFIX):
            raise ValueError(
                f"property key {key!r} starts with `{RESERVED_PREFIX}`, which orgsync keeps for its "
                "own working columns; expected another key (rename it in Orgvue and here)"
            )
        return key

    onDemand: bool = Field(
        False, description="Orgvue computes the values from `formula`; never read from a source."
    )
    formula: str | None = Field(
        None, min_length=1, description="The on-demand expression, passed to Orgvue verbatim."
    )
    isRequired: bool | None = Field(
        None,
        description="Orgvue's isRequired. Default: true for the autoId, labelId, treeId "
        "and treeParentId properties (Orgvue requires it), else left as the tenant has it.",
    )

    @model_validator(mode="after")
    def _formula_with_on_demand(self) -> PropertySpec:
        if self.onDemand and self.formula is None:
            raise ValueError(
                f"property {self.key!r} has `onDemand: true` but no `formula`; expected the "
                "expression Orgvue computes it from, e.g. `formula: salary * 0.1`"
            )
        if self.formula is not None and not self.onDemand:
            raise ValueError(
                f"property {self.key!r} has a `formula` but not `onDemand: true`; expected both "
                "(an on-demand property) or neither"
            )
        return self


SECRET_ENV_PATTERN = r"^ORGSYNC_SECRET_[A-Z0-9_]+$"
SOURCE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,62}$"


class _FileSettings(_Strict):
    """How to read a source file (issue 14): dialect, encoding, number format, spreadsheet sheet; unset: default."""

    format: SourceFormat | None = Field(
        None, description="Override the format guessed from the file extension."
    )
    delimiter: str | None = Field(
        None,
        min_length=1,
        max_length=1,
        description="CSV field separator, one character (default `,`; `\\t` for tsv).",
    )
    quote: str | None = Field(
        None, min_length=1, max_length=1, description='CSV quote character (default `"`).'
    )
    encoding: str | None = Field(
        None,
        min_length=1,
        description="Any Python codec name: utf-8 (default), utf-8-sig, cp1252, latin-1, utf-16 (with a BOM).",
    )
    decimalSeparator: Literal[".", ","] | None = Field(
        None, description="Decimal separator of number columns (default `.`)."
    )
    thousandsSeparator: Literal[",", ".", " ", "'", "_"] | None = Field(
        None,
        description="Thousands separator allowed in number columns (default: none), e.g. `.` with decimalSeparator `,`.",
    )
    sheet: str | int | None = Field(
        None, description="xlsx: the sheet, by name or 1-based number (default: the first)."
    )
    headerRow: int | None = Field(
        None, ge=1, description="xlsx: the 1-based row holding the column names (default 1)."
    )


class SecretRef(_Strict):
    """A secret named by an `ORGSYNC_SECRET_` environment variable; the value is never in the manifest."""

    env: str = Field(
        pattern=SECRET_ENV_PATTERN, description="Name of the environment variable holding the value."
    )


class DatabaseSource(_Strict):
    """Rows fetched from a database by a read-only query (ADBC: postgresql://, sqlite:///...)."""

    sql: str = Field(min_length=1, description="The SELECT query run in a read-only transaction.")
    connection: SecretRef = Field(
        description="`{env: ORGSYNC_SECRET_...}`: the variable holding the connection URL."
    )


class FileSource(_FileSettings):
    """One named input of `items.sources`: a path (or list / glob of paths) and its file settings."""

    path: str | list[str] = Field(description="File, glob or list of files relative to the manifest.")


def _input_kind(value: object) -> str:
    """Which member of an input union a value is (so a mistake is reported against that member only): a raw
    mapping when validating, a model when serializing (else pydantic would serialize it as a `str`, warning)."""
    if isinstance(value, FileSource | DatabaseSource):
        return "file" if isinstance(value, FileSource) else "database"
    if isinstance(value, dict):
        return "file" if "path" in value else "database"
    return "files" if isinstance(value, list) else "path"


def _source_kind(value: object) -> str:
    """`_input_kind` for `items.source`, where a mapping is only ever a database source (file settings sit
    beside `source` under `items:`), so `{path: …}` is reported as a field a database source does not have."""
    return "database" if isinstance(value, dict | DatabaseSource) else _input_kind(value)


SourceInput = Annotated[
    Annotated[str, Tag("path")]
    | Annotated[list[str], Tag("files")]
    | Annotated[DatabaseSource, Tag("database")],
    Discriminator(_source_kind),
]
NamedInput = Annotated[
    Annotated[str, Tag("path")]
    | Annotated[FileSource, Tag("file")]
    | Annotated[DatabaseSource, Tag("database")],
    Discriminator(_input_kind),
]


class ItemsSpec(_FileSettings):
    """Where a dataset's items come from and how they are reconciled."""

    source: SourceInput | None = Field(
        None,
        description="Source file relative to the manifest (csv, tsv, json, jsonl, optionally .gz, xlsx, "
        "parquet), a glob or list of files concatenated, or `{sql, connection}` for a database.",
    )
    sources: dict[str, NamedInput] | None = Field(
        None,
        description="Named inputs of `query` (instead of `source`): name -> path, or mapping with `path` and file settings, or `{sql, connection}`.",
    )
    query: str | None = Field(
        None,
        min_length=1,
        description="SQL SELECT over the named `sources`; its output columns are the source columns.",
    )
    mode: ItemsMode = "upsert"
    columns: dict[str, str] = Field(
        default_factory=dict, description="Source column -> property key renames."
    )
    dateFormat: DateFormat = "YYYY-MM-DD"
    trueValues: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=100,
        description="More words (any case) that boolean columns read as true, e.g. `[ja, J]`; besides "
        "true/yes/y/1.",
    )
    falseValues: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=100,
        description="More words (any case) that boolean columns read as false, e.g. `[nein, N]`; besides "
        "false/no/n/0.",
    )
    handKept: list[str] = Field(
        default_factory=list,
        description="Declared properties intentionally not in the source (no missing-column warning).",
    )

    @model_validator(mode="after")
    def _one_origin(self) -> ItemsSpec:
        if (self.source is None) == (self.sources is None):
            raise ValueError(
                "expected exactly one of `source` (one input) or `sources` with `query` (named inputs "
                "combined by SQL)"
            )
        if (self.sources is None) != (self.query is None):
            raise ValueError(
                "`sources` and `query` go together: `query` is a SELECT over the named `sources`"
            )
        both = {w.strip().lower() for w in self.trueValues} & {w.strip().lower() for w in self.falseValues}
        both |= {"false"} & {w.strip().lower() for w in self.trueValues}
        both |= {"true"} & {w.strip().lower() for w in self.falseValues}
        if both:
            raise ValueError(
                f"{sorted(both)[0]!r} cannot be both true and false; expected each word in one of "
                "`trueValues` and `falseValues`"
            )
        for name in self.sources or {}:
            if not re.match(SOURCE_NAME_PATTERN, name):
                raise ValueError(
                    f"source name {name!r} must be a plain SQL name matching {SOURCE_NAME_PATTERN}"
                )
        return self


class PopulateSpec(_Strict):
    """Populate a links dataset from one source dataset instead of a file (POST /links/{id}/populate)."""

    sourceDataset: str = Field(description="Name of the dataset holding the from/to/allocation properties.")
    targetDatasetAutoId: str
    allocationId: str | None = None


class _ManifestBase(_Strict):
    name: str = Field(min_length=1, description="Identity: the dataset is found by name.")
    datasetId: str | None = Field(None, description="Pins one dataset where the tenant has two of this name.")
    renamedFrom: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="Earlier names of this dataset: plan renames the one found under an old "
        "name (a PATCH of its name) instead of creating a second dataset.",
    )
    manage: Literal["managed", "observe"] = Field(
        "managed",
        description="`observe`: plan reads the dataset and reports every difference as drift; apply "
        "never writes to it and the safety thresholds ignore it.",
    )
    tags: list[str] = Field(default_factory=list)
    deleteOmittedProperties: bool = False
    items: ItemsSpec | None = None
    safety: SafetyOverride | None = None

    _origin: Location | None = PrivateAttr(None)
    _manifest_path: Path | None = PrivateAttr(None)
    _positions: dict[tuple[str | int, ...], tuple[int, int]] = PrivateAttr(default_factory=dict)

    def locate(self, *path: str | int) -> Location:
        """File, line and column of a field of this document (`locate("properties", 3, "type")`)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._positions:
                line, column = self._positions[path[:end]]
                return Location(self.origin.file, line, column)
        return self.origin

    @property
    def origin(self) -> Location:
        """File and line of the document that declared this resource."""
        return self._origin or Location("<unknown>")

    @property
    def manifest_path(self) -> Path | None:
        return self._manifest_path


class DatasetManifest(_ManifestBase):
    """`kind: Dataset`."""

    kind: Literal["Dataset"]
    type: str = Field(min_length=1, description="Dataset type, e.g. PEOPLE, POSITIONS.")
    autoId: str
    labelId: str
    treeId: str | None = None
    treeParentId: str | None = None
    properties: list[PropertySpec] = Field(default_factory=list)
    onDemand: list[str] = Field(
        default_factory=list,
        description="Order in which apply recalculates the on-demand "
        "properties (executeOnDemand); default: every `onDemand: true` property, in declaration order.",
    )

    @model_validator(mode="after")
    def _key_properties_required(self) -> DatasetManifest:
        for prop in self.properties:
            roles = [
                f for f in ("autoId", "labelId", "treeId", "treeParentId") if getattr(self, f) == prop.key
            ]
            if roles and prop.isRequired is False:
                raise ValueError(
                    f"property {prop.key!r} is the dataset's {' and '.join(roles)}, and Orgvue requires such "
                    "a property to be `isRequired: true`; remove `isRequired: false` from it"
                )
        return self

    @property
    def required_keys(self) -> frozenset[str]:
        """The key properties (autoId, labelId, treeId, treeParentId), which Orgvue requires to be isRequired: true."""
        return frozenset(k for k in (self.autoId, self.labelId, self.treeId, self.treeParentId) if k)

    @property
    def address(self) -> str:
        return f"dataset.{self.name}"

    @property
    def on_demand_keys(self) -> list[str]:
        """The properties apply recalculates, in order: the `onDemand:` list, else every on-demand property."""
        return list(self.onDemand) or [p.key for p in self.properties if p.onDemand]

    @property
    def key_columns(self) -> list[str]:
        return [self.autoId]


class LinksDatasetManifest(_ManifestBase):
    """`kind: LinksDataset`: links between two datasets, keyed by (from_id, to_id)."""

    kind: Literal["LinksDataset"]
    from_: str = Field(alias="from", description="Name of the dataset links start from.")
    to: str = Field(description="Name of the dataset links go to.")
    properties: list[PropertySpec] = Field(
        default_factory=list, description="Additional properties beyond from_id, to_id, link_id, allocation."
    )
    populate: PopulateSpec | None = None

    @property
    def address(self) -> str:
        return f"links.{self.name}"

    @property
    def key_columns(self) -> list[str]:
        return ["from_id", "to_id"]


Manifest = Annotated[DatasetManifest | LinksDatasetManifest, Field(discriminator="kind")]


class Project(BaseModel):
    """Everything loaded from a repository: its config and all manifests, in file order."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    root: Path
    config_file: Path
    config: ProjectConfig
    manifests: list[DatasetManifest | LinksDatasetManifest]
    warnings: list[Problem] = []  # found while loading (e.g. a manifests pattern that matched nothing)

    @property
    def datasets(self) -> list[DatasetManifest]:
        return [m for m in self.manifests if isinstance(m, DatasetManifest)]

    @property
    def links(self) -> list[LinksDatasetManifest]:
        return [m for m in self.manifests if isinstance(m, LinksDatasetManifest)]

    def by_name(self, name: str) -> DatasetManifest | LinksDatasetManifest | None:
        return next((m for m in self.manifests if m.name == name), None)
