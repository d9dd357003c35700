"""The checks every `/api/v1/` request passes before its handler, as the real gateway makes them.

Authentication (401 with the documented 401xx codes), the tenant id, then every request error found at
once (D/errors/examples/ shows 400603 and 415001 in one answer): non-UUID path ids (400603), a body
that is not JSON (415001), a query parameter given twice (400020).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, QueryParams

from orgsync.emulator.errors import (
    ApiError,
    bad_request,
    combined,
    multivalued,
    not_json_content_type,
    not_uuid,
)

TENANT = re.compile(r"^[A-Z][A-Z0-9_]{0,29}$")
UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
TRACE_HEADER = "X-Amzn-Trace-Id"
_ID_PARAMS = {"datasets": "datasetId", "links": "linksDatasetId", "drafts": "draftId"}
_DRAFT_WORDS = frozenset({"query", "actions", "clear"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def auth_error(expected_token: str | None, authorization: str | None) -> ApiError | None:
    """401 with 40101 (no header), 40103 (not `Bearer …`) or 40102 (not the token) when a token is required."""
    if expected_token is None:
        return None
    if not authorization or not authorization.strip():
        return ApiError(
            401,
            "40101",
            "AuthorizationHeaderEmpty",
            "The Authorization header is required for authentication.",
        )
    if not authorization.startswith("Bearer "):
        return ApiError(
            401,
            "40103",
            "BearerTokenNotFound",
            "The Authorization header must follow the Bearer authentication scheme.",
        )
    if authorization[7:] != expected_token:
        return ApiError(
            401, "40102", "ApiTokenInvalid", "The API Token in the Authorization header was not valid."
        )
    return None


def tenant_error(tenant: str) -> ApiError | None:
    if TENANT.match(tenant):
        return None
    return bad_request(
        "tenantId must match ^[A-Z][A-Z0-9_]{0,29}$",
        name="PathParameterInvalid",
        code="400601",
        pathParameter="{tenantId}",
    )


def path_id_errors(rest: str) -> list[ApiError]:
    """400603 for the id segment of `/datasets/{id}`, `/links/{id}`, `/drafts/{id}` that is not a UUID."""
    parts = [p for p in rest.split("/") if p]
    if len(parts) < 2 or parts[0] not in _ID_PARAMS or (parts[0] == "drafts" and parts[1] in _DRAFT_WORDS):
        return []
    return [] if UUID.match(parts[1]) else [not_uuid(_ID_PARAMS[parts[0]])]


def content_type_errors(method: str, headers: Headers) -> list[ApiError]:
    """415001 when a Content-Type other than application/json is sent, or a body is sent without one."""
    ctype = headers.get("content-type")
    if ctype is not None:
        return (
            [] if ctype.split(";", 1)[0].strip().lower() == "application/json" else [not_json_content_type()]
        )
    has_body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
    return [not_json_content_type()] if method in _BODY_METHODS and has_body else []


def query_errors(query: QueryParams) -> list[ApiError]:
    """400020 for each query parameter given more than once (every documented parameter is single-valued)."""
    seen: set[str] = set()
    repeated: list[str] = []
    for key, _ in query.multi_items():
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return [multivalued(key) for key in repeated]


def request_error(method: str, rest: str, headers: Headers, query: QueryParams) -> ApiError | None:
    """Every request error of one call, as one answer (None when the request may go on)."""
    errors = path_id_errors(rest) + content_type_errors(method, headers) + query_errors(query)
    return combined(errors) if errors else None
