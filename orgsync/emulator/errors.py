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
        self.others: list[ApiError] = []

    def entry(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "message": self.message, **self.extra}

    def body(self) -> dict[str, Any]:
        """The error document; several errors at once are possible (D/errors/examples/)."""
        return {"errors": [self.entry()] + [other.entry() for other in self.others]}


def combined(errors: list[ApiError]) -> ApiError:
    """One answer carrying every error found (the status is the first one's)."""
    first = errors[0]
    first.others = list(errors[1:])
    return first


def bad_request(
    message: str, *, name: str = "InvalidRequest", code: str = "400000", **extra: Any
) -> ApiError:
    """400: the request itself is wrong (path, query or body); the caller must fix it."""
    return ApiError(400, code, name, message, **extra)


def bad_body(message: str, json_path: str = "$") -> ApiError:
    """400 pointing at the offending place in the JSON body."""
    return ApiError(400, "400010", "InvalidJsonBody", message, jsonBody=json_path)


def bad_query(parameter: str, message: str) -> ApiError:
    return ApiError(400, "400021", "InvalidQueryParameter", message, queryParameter=parameter)


def not_uuid(parameter: str) -> ApiError:
    """400603, as in D/errors/examples/: a dataset, links dataset, draft or job id that is not a UUID."""
    return ApiError(
        400,
        "400603",
        "PathParameterMustBeUUIDString",
        f"Path parameter {{{parameter}}} must be a UUID string.",
        pathParameter=f"{{{parameter}}}",
    )


def not_json_content_type() -> ApiError:
    """415001 (D/errors/examples/): the request's Content-Type is not application/json."""
    return ApiError(
        415,
        "415001",
        "ContentTypeIsNotImplemented",
        "The content type header value you provided is not implemented, please use application/json instead.",
    )


def multivalued(parameter: str) -> ApiError:
    """400020 (openapi-reference.txt): a single-valued query parameter was given more than once."""
    return ApiError(
        400,
        "400020",
        "FieldMustNotBeMultivalued",
        "You cannot specify this field multiple times.",
        queryParameter=parameter,
    )


def not_found(what: str, ident: str, resource_path: str | None = None) -> ApiError:
    return ApiError(404, "404000", "NotFound", f"{what} {ident!r} does not exist", resourcePath=resource_path)


def unprocessable(message: str, json_path: str = "$") -> ApiError:
    """422: well-formed, but asks for something the resource cannot do (e.g. drop a core property)."""
    return ApiError(422, "422000", "UnprocessableRequest", message, jsonBody=json_path)


def internal(message: str = "There was an internal error.") -> ApiError:
    return ApiError(500, "50001", "InternalServerError", message)
