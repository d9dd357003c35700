"""One input of a dataset, read into a `RawSource`: files (a path, a list or a glob, concatenated) or a database.

Every file is confined to the repository. Text files are read as UTF-8, or streamed from their declared
`encoding`; xlsx and Parquet keep their cell types. Files concatenated must have the same columns.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orgsync.errors import Location, Problem, SourceError
from orgsync.limits import limits_from
from orgsync.manifest.models import DatabaseSource, DatasetManifest, FileSource, LinksDatasetManifest, Project
from orgsync.manifest.paths import EscapesRoot, HiddenPath, confine, refuse_hidden, shown
from orgsync.sources.bounds import header_columns, parquet_metadata, xlsx_area
from orgsync.sources.database import fetch
from orgsync.sources.encoding import codec_name, is_utf8, transcode_file
from orgsync.sources.excel import read_parquet, read_xlsx
from orgsync.sources.extras import require
from orgsync.sources.parse import RawSource, detect_format, file_facts, parse_delimited_file, parse_source
from orgsync.sources.settings import ReadSettings

Manifest = DatasetManifest | LinksDatasetManifest
_GLOB = set("*?[")


@dataclass(frozen=True)
class Input:
    """An input as read: its raw rows, the (first) file, how messages name it, and the checksum of its bytes."""

    raw: RawSource
    path: Path
    display: str
    sha256: str | None  # None for a database: the checksum is taken over the fetched rows

    def labels(self) -> pl.Series:
        """Per row, "file:row" (or "display result row N"), for query provenance."""
        files = (
            self.raw.files
            if self.raw.files is not None
            else pl.repeat(self.display, self.raw.frame.height, eager=True, dtype=pl.Utf8)
        )
        sep = ":" if self.raw.has_lines else f" {self.raw.row_word} "
        return (files + sep + self.raw.rows.cast(pl.Utf8)).alias("__source")


def read_input(
    manifest: Manifest,
    project: Project,
    spec: str | list[str] | FileSource | DatabaseSource,
    settings: ReadSettings,
    field: tuple[str, ...],
    env: Mapping[str, str],
) -> Input:
    """The input `spec` (at manifest `field`) read with `settings`; raises `SourceError`."""
    where = manifest.locate(*field)
    name = ".".join(field)
    if isinstance(spec, DatabaseSource):
        raw = fetch(spec, env, where, name)
        return Input(raw, manifest.manifest_path or project.root, str(where.file), None)
    patterns = spec.path if isinstance(spec, FileSource) else spec
    paths = resolve_paths(
        manifest, project, [patterns] if isinstance(patterns, str) else patterns, where, name
    )
    parts = [_read_file(path, shown(path, project.root), settings, where, name) for path in paths]
    if len(parts) == 1:
        return parts[0]
    return _concatenated(parts, where, name)


def input_digest(
    manifest: Manifest,
    project: Project,
    spec: str | list[str] | FileSource | DatabaseSource,
    field: tuple[str, ...],
) -> str | None:
    """The sha256 `read_input` gives `spec`, from the files' bytes alone (nothing parsed); None for a database,
    whose checksum is over the rows it returns."""
    if isinstance(spec, DatabaseSource):
        return None
    patterns = spec.path if isinstance(spec, FileSource) else spec
    paths = resolve_paths(
        manifest,
        project,
        [patterns] if isinstance(patterns, str) else patterns,
        manifest.locate(*field),
        ".".join(field),
    )
    digests = [(shown(path, project.root), _file_sha256(path)) for path in paths]
    if len(digests) == 1:
        return digests[0][1]
    return hashlib.sha256(
        "".join(f"{display}\0{digest}\0" for display, digest in digests).encode()
    ).hexdigest()


def resolve_paths(
    manifest: Manifest, project: Project, patterns: list[str], where: Location, field: str
) -> list[Path]:
    """Each pattern's files (a glob matches in name order), resolved and confined to the repository."""
    base = (manifest.manifest_path or project.root / "manifest.yaml").parent
    paths: list[Path] = []
    for pattern in patterns:
        if _GLOB & set(pattern):
            found = sorted(Path(p) for p in glob.glob(str(base / pattern)))
            if not found:
                raise SourceError(
                    Problem(
                        where,
                        f"source pattern {pattern!r} matches no file (paths are "
                        "relative to the manifest file)",
                        field,
                    )
                )
        else:
            found = [base / pattern]
        for path in found:
            _refuse_undecodable(path, project.root, pattern, where, field)
            try:
                resolved = confine(path, project.root)
                refuse_hidden(path, project.root)
            except HiddenPath as err:
                raise SourceError(
                    Problem(
                        where,
                        f"source {pattern!r} is refused: {err}; sources are data files, "
                        "never .git/ or dot-files (.env, .npmrc, ...)",
                        field,
                    )
                ) from None
            except EscapesRoot:
                raise SourceError(
                    Problem(
                        where,
                        f"source {pattern!r} is outside the repository; expected a "
                        "path inside it (symlinks included)",
                        field,
                    )
                ) from None
            if not resolved.is_file():
                raise SourceError(
                    Problem(
                        where,
                        f"source file {shown(path, project.root)} does not exist "
                        "(paths are relative to the manifest file)",
                        field,
                    )
                )
            if resolved not in paths:
                paths.append(resolved)
    return paths


def _refuse_undecodable(path: Path, root: Path, pattern: str, where: Location, field: str) -> None:
    """A file name that is not UTF-8 (a glob matches bytes like `b\\xff.csv`) is refused, named with escapes."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        name = os.fsencode(shown(Path(os.path.normpath(path)), root)).decode("utf-8", "backslashreplace")
        raise SourceError(
            Problem(
                where,
                f"source {pattern!r} matches the file {name}, whose name is not UTF-8; "
                "expected UTF-8 file names (rename the file)",
                field,
            )
        ) from None


def _read_file(path: Path, display: str, settings: ReadSettings, where: Location, field: str) -> Input:
    """One file, by its format."""
    try:
        fmt, gzipped = detect_format(path, settings.format)
        encoding = codec_name(settings.encoding)
    except ValueError as err:
        raise SourceError(Problem(where, str(err), field)) from None
    limits = limits_from()
    if fmt == "xlsx":
        xlsx_area(path, display, limits)
        return Input(read_xlsx(path, settings, display), path, display, _file_sha256(path))
    if fmt == "parquet":
        require("parquet", "a .parquet source", display)  # pyarrow: its metadata is bounded before the read
        parquet_metadata(path, display, limits)
        return Input(read_parquet(path, display), path, display, _file_sha256(path))
    if is_utf8(encoding) and not gzipped and fmt in ("csv", "tsv"):  # the big case: parsed from disk
        sep, quote = settings.delimiter or ("," if fmt == "csv" else "\t"), settings.quote or '"'
        header_columns(path, sep, display, limits)
        facts = file_facts(path, quote)
        return Input(parse_delimited_file(path, sep, quote, display, facts), path, display, facts.sha256)
    if is_utf8(encoding):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
    else:
        data, digest = transcode_file(path, gzipped, encoding, display)
        gzipped = False
    raw = parse_source(data, fmt, gzipped, display, delimiter=settings.delimiter, quote=settings.quote)
    return Input(raw, path, display, digest)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _concatenated(parts: list[Input], where: Location, field: str) -> Input:
    """Several files one under the other; each row remembers its file. Their columns must be the same."""
    first = parts[0]
    columns = first.raw.frame.columns
    for part in parts[1:]:
        other = part.raw.frame.columns
        if set(other) != set(columns):
            missing = [c for c in columns if c not in other]
            extra = [c for c in other if c not in columns]
            raise SourceError(
                Problem(
                    Location(part.display, 1),
                    f"the columns differ from {first.display}'s"
                    + (f"; missing: {', '.join(missing)}" if missing else "")
                    + (f"; extra: {', '.join(extra)}" if extra else "")
                    + "; expected the same columns in every file of the source",
                    field,
                )
            )
    frame = pl.concat([p.raw.frame.select(columns) for p in parts], how="vertical_relaxed")
    rows = pl.concat([p.raw.rows for p in parts])
    files = pl.concat([pl.repeat(p.display, p.raw.frame.height, eager=True, dtype=pl.Utf8) for p in parts])
    digest = hashlib.sha256("".join(f"{p.display}\0{p.sha256}\0" for p in parts).encode()).hexdigest()
    raw = RawSource(frame, rows, first.raw.row_word, files=files, excel=first.raw.excel)
    return Input(raw, first.path, first.display, digest)
