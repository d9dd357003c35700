"""Pydantic validation errors -> `Problem`s that say file:line:column, the field, what was expected and got."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from orgsync.errors import Location, Problem
from orgsync.manifest.yamldoc import Path_, YamlDocument


def field_path(loc: Path_) -> str:
    """('properties', 3, 'type') -> 'properties[3].type'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validation_problems(
    err: ValidationError, doc: YamlDocument, shown: str, model: type[BaseModel], prefix: Path_ = ()
) -> list[Problem]:
    """One Problem per pydantic error, positioned with the document's marks."""
    problems = []
    for error in err.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = error["type"]
        line, column = doc.where((*prefix, *loc), key=kind == "extra_forbidden")
        problems.append(Problem(Location(shown, line, column), _message(error, loc, model), field_path(loc)))
    return problems


def _message(error: ErrorDetails, loc: Path_, model: type[BaseModel]) -> str:
    kind = error["type"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        expected = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return f"expected one of {expected}, got {got!r}"
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else f"; expected one of {', '.join(allowed)}"
        return f"unknown field{hint}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg'][0].lower()}{error['msg'][1:]}, got {got!r}"


def _fields_at(model: type[BaseModel], loc: Path_) -> list[str]:
    """Field names (by alias) of the model found at `loc` inside `model`, for 'did you mean'."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        current = _inner_model(info.annotation) if info else None
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [f.alias or n for n, f in current.model_fields.items()]


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside `X | None` or `list[X]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
