"""Sources whose query reads the clock (`now()`, `current_date`, `date('now')`...): the same repository can give
other rows tomorrow, so a reviewed plan can change (a mass delete the next day) with no input change.

Such a source is named in the plan ("this source depends on the date it runs"), its checksum covers the rows
its query returned (not only the input files), and `apply` of a saved plan reads it again and refuses the plan
when the rows differ (see `readers.source_digests`).
"""

from __future__ import annotations

from orgsync.manifest.models import DatabaseSource, DatasetManifest, LinksDatasetManifest
from orgsync.sources.statement import clock_reads

Manifest = DatasetManifest | LinksDatasetManifest


def queries(manifest: Manifest) -> list[tuple[tuple[str, ...], str]]:
    """(manifest field, SQL) of every query the manifest's source runs: `items.query` and database `sql`."""
    items = manifest.items
    if items is None:
        return []
    found: list[tuple[tuple[str, ...], str]] = []
    if isinstance(items.source, DatabaseSource):
        found.append((("items", "source", "sql"), items.source.sql))
    for name, entry in (items.sources or {}).items():
        if isinstance(entry, DatabaseSource):
            found.append((("items", "sources", name, "sql"), entry.sql))
    if items.query is not None:
        found.append((("items", "query"), items.query))
    return found


def clock_words(manifest: Manifest) -> list[str]:
    """How the manifest's queries read the clock (`now`, `'now'`...), empty when they do not."""
    return list(dict.fromkeys(word for _, sql in queries(manifest) for word in clock_reads(sql)))


def clock_note(manifest: Manifest) -> str | None:
    """The plan's note for a source that depends on the date it runs, or None."""
    words = clock_words(manifest)
    if not words:
        return None
    return (
        f"this source depends on the date it runs: its query reads the clock ({', '.join(words)}), so the plan "
        "can change with no change to the repository; `apply` of a saved plan reads it again and refuses "
        "the plan if its rows differ"
    )
