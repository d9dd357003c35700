"""The type of every column a manifest's source may carry: its properties, and a links dataset's fixed columns."""

from __future__ import annotations

from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, PropertyType

LINK_TYPES: dict[str, PropertyType] = {
    "from_id": "text",
    "to_id": "text",
    "link_id": "text",
    "allocation": "number",
}


def property_types(manifest: DatasetManifest | LinksDatasetManifest) -> dict[str, PropertyType]:
    """Column -> type for every column the manifest's source may carry."""
    types = dict(LINK_TYPES) if isinstance(manifest, LinksDatasetManifest) else {}
    types.update({p.key: p.type for p in manifest.properties})
    return types
