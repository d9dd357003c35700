"""The shapes of the answers the engine reads, as pydantic models: a 200 of the wrong shape is an error
naming the call, the path in the answer and the field that did not fit, never a traceback later on.

Models check only what the engine relies on and allow everything else (the service may add fields). The dataset
answers are handed on as these frozen models (`parsed`), so the engine reads `datasetId`, `cacheKey`,
`items.lastTransactionId` and the links type as attributes; `fields` is the answer as sent, for what compares
the configuration field by field. Item answers (values, per-item results) are handed on as checked JSON.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from orgsync.errors import ApiError


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Link(_Answer):
    url: str


LINKS_TYPE = "LINKS"  # the `type` of a links dataset


class DatasetSummary(_Answer):
    """One entry of `GET /datasets`."""

    datasetId: str
    name: str | None = None
    type: str | None = None

    @property
    def is_links(self) -> bool:
        return self.type == LINKS_TYPE

    @cached_property
    def fields(self) -> dict[str, Any]:
        """The answer as the service sent it (every field, nested ones too), for field-by-field comparison."""
        return self.model_dump(by_alias=True, exclude_unset=True)


class ItemsState(_Answer):
    lastTransactionId: str | int | None = None


class Property(_Answer):
    key: str
    type: str | None = None


class Dataset(DatasetSummary):
    """`GET /datasets/{id}` (and the answers of create)."""

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
M = TypeVar("M", bound=BaseModel)


@overload
def parsed(shape: type[M], answer: object, call: str) -> M: ...
@overload
def parsed(shape: TypeAdapter[T], answer: object, call: str) -> T: ...
def parsed(shape: type[BaseModel] | TypeAdapter[Any], answer: object, call: str) -> Any:
    """`answer` as the frozen model(s) of `shape`; else `ApiError` naming the call, the path and what was expected."""
    try:
        if isinstance(shape, TypeAdapter):
            return shape.validate_python(answer)
        return shape.model_validate(answer)
    except ValidationError as err:
        raise _unexpected(err, call) from None


def checked(shape: type[BaseModel] | TypeAdapter[Any], answer: T, call: str) -> T:
    """`answer` unchanged when it fits `shape` (item answers: values and per-item results are JSON); else `ApiError` naming the call, the path and what was expected."""
    try:
        if isinstance(shape, TypeAdapter):
            shape.validate_python(answer)
        else:
            shape.model_validate(answer)
    except ValidationError as err:
        raise _unexpected(err, call) from None
    return answer


def _unexpected(err: ValidationError, call: str) -> ApiError:
    first = err.errors(include_url=False, include_input=False)
    listed = "; ".join(f"{_path(e['loc'])}: {e['msg'].lower()}" for e in first[:3])
    more = f" (and {len(first) - 3} more)" if len(first) > 3 else ""
    return ApiError(
        f"{call}: the answer does not have the documented shape — {listed}{more}",
        hint="the service answered something orgsync does not understand; if this persists, "
        "report it with the call and the trace id",
    )


def _path(loc: tuple[int | str, ...]) -> str:
    """`[3].properties[0].key` from pydantic's location."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return text or "(the whole answer)"
