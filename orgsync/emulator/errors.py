"""API errors in the documented shape `{"errors":[{"code","name","message",...}]}` and their statuses."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A client or server error the emulator answers with; `body()` is the documented error document."""

    def __init__(self, status: int, code: str, name: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.name = name
        self.message = message
        self.extra = {k: v for k, v in extra.items() if v is not None}

    def body(self) -> dict[str, Any]:
        return {"errors": [{"code": self.code, "name": self.name, "message": self.message, **self.extra}]}


def bad_request(message: str, *, name: str = "InvalidRequest", code: str = "400000", **extra: Any) -> ApiError:
    """400: the request itself is wrong (path, query or body); the caller must fix it."""
    return ApiError(400, code, name, message, **extra)


def bad_body(message: str, json_path: str = "$") -> ApiError:
    """400 pointing at the offending place in the JSON body."""
    return ApiError(400, "400010", "InvalidJsonBody", message, jsonBody=json_path)


def bad_query(parameter: str, message: str) -> ApiError:
    return ApiError(400, "400020", "InvalidQueryParameter", message, queryParameter=parameter)


def not_found(what: str, ident: str, resource_path: str | None = None) -> ApiError:
    return ApiError(404, "404000", "NotFound", f"{what} {ident!r} does not exist", resourcePath=resource_path)


def unprocessable(message: str, json_path: str = "$") -> ApiError:
    """422: well-formed, but asks for something the resource cannot do (e.g. drop a core property)."""
    return ApiError(422, "422000", "UnprocessableRequest", message, jsonBody=json_path)


def internal(message: str = "There was an internal error.") -> ApiError:
    return ApiError(500, "50001", "InternalServerError", message)
