"""The shapes of the answers the engine reads, as pydantic models: a 200 of the wrong shape is an error
naming the call, the path in the answer and the field that did not fit, never a traceback later on.

Models check only what the engine relies on and allow everything else (the service may add fields).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from orgsync.errors import ApiError


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Link(_Answer):
    url: str


class DatasetSummary(_Answer):
    """One entry of `GET /datasets`."""

    datasetId: str
    name: str | None = None
    type: str | None = None


class ItemsState(_Answer):
    lastTransactionId: str | int | None = None


class Property(_Answer):
    key: str
    type: str | None = None


class Dataset(_Answer):
    """`GET /datasets/{id}` (and the answers of create/update)."""

    datasetId: str
    name: str | None = None
    properties: list[Property] = Field(default_factory=list)
    items: ItemsState | None = None
    cacheKey: str | int | None = None
    drafts: list[dict[str, Any]] | None = None
    links_: dict[str, Link] | None = Field(None, alias="_links")


class JobTicket(_Answer):
    """A job ticket: `jobStatus` and the `_links.self` to poll."""

    jobStatus: str
    links_: dict[str, Link] = Field(alias="_links")


class TemporaryFile(_Answer):
    getUrl: str
    putUrl: str


class ItemResult(_Answer):
    """One per-item result of an item import."""

    status: str | None = Field(None, alias="_status")
    failures: list[dict[str, Any]] | None = Field(None, alias="_failures")


DATASET_LIST: TypeAdapter[list[DatasetSummary]] = TypeAdapter(list[DatasetSummary])
ITEM_RESULTS: TypeAdapter[list[ItemResult]] = TypeAdapter(list[ItemResult])
ITEMS: TypeAdapter[list[dict[str, Any]]] = TypeAdapter(list[dict[str, Any]])
T = TypeVar("T")


def checked(shape: type[BaseModel] | TypeAdapter[Any], answer: T, call: str) -> T:
    """`answer` unchanged when it fits `shape`; else `ApiError` naming the call, the path and what was expected."""
    try:
        if isinstance(shape, TypeAdapter):
            shape.validate_python(answer)
        else:
            shape.model_validate(answer)
    except ValidationError as err:
        first = err.errors(include_url=False, include_input=False)
        listed = "; ".join(f"{_path(e['loc'])}: {e['msg'].lower()}" for e in first[:3])
        more = f" (and {len(first) - 3} more)" if len(first) > 3 else ""
        raise ApiError(
            f"{call}: the answer does not have the documented shape — {listed}{more}",
            hint="the service answered something orgsync does not understand; if this persists, "
            "report it with the call and the trace id",
        ) from None
    return answer


def _path(loc: tuple[int | str, ...]) -> str:
    """`[3].properties[0].key` from pydantic's location."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return text or "(the whole answer)"
