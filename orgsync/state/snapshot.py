"""The live snapshot: what the tenant holds now, read once per plan, as plain values.

`state.reader` fills these from the API client; `plan` compares them with the manifests and sources.
Item values are in the canonical form of `orgsync.sources.canonical` (polars Utf8, null = empty), so
that both sides of the diff are normalised by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class Fingerprint:
    """What a saved plan checks before writing: any change to either means the plan is stale."""

    dataset_id: str
    cache_key: str | None
    last_transaction_id: str | None


@dataclass
class LiveDataset:
    """One dataset or links dataset as GET /datasets/{id} returns it (`resource` is the raw JSON)."""

    dataset_id: str
    name: str
    type: str
    resource: dict = field(repr=False)
    # a links dataset's (from, to) dataset ids as the tenant reports them (state.link_ends); None where silent
    ends: tuple[str | None, str | None] = (None, None)

    @property
    def is_links(self) -> bool:
        return self.type == "LINKS"

    @property
    def properties(self) -> list[dict]:
        return list(self.resource.get("properties") or [])

    @property
    def fingerprint(self) -> Fingerprint:
        items = self.resource.get("items") or {}
        return Fingerprint(self.dataset_id, self.resource.get("cacheKey"), items.get("lastTransactionId"))

    @property
    def drafts(self) -> list[dict]:
        return list(self.resource.get("drafts") or [])


@dataclass
class LiveItems:
    """A dataset's live items restricted to the key and the owned columns, canonical Utf8.

    `frame` has the key columns, the owned property columns, for a dataset with a hierarchy its treeId and
    treeParentId columns (so deletes can be ordered children first), and `_id`; `unmatched` counts live items
    whose key is empty (they can be neither compared nor deleted by key, and are reported).
    """

    dataset_id: str
    frame: pl.DataFrame
    unmatched: int = 0


@dataclass
class LiveState:
    """The tenant as read for one plan."""

    target: str  # "local" or the endpoint URL, shown first in every output
    tenant: str
    datasets: list[LiveDataset]  # every dataset in the tenant (summary listing, full resource for the ones read)
    items: dict[str, LiveItems] = field(default_factory=dict)  # by dataset_id, only for datasets with items managed

    def find(self, name: str, dataset_id: str | None = None) -> list[LiveDataset]:
        """Datasets with this name (or the one pinned by id)."""
        if dataset_id:
            return [d for d in self.datasets if d.dataset_id == dataset_id]
        return [d for d in self.datasets if d.name == name]
