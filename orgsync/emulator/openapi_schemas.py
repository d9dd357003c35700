"""JSON Schemas for the emulator's OpenAPI description (request bodies, parameters, responses).

Bodies are parsed by hand (so a malformed one gets a documented 400, never a 500 or FastAPI's 422
shape); these schemas only describe them, for clients and for schemathesis.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"
ANY: dict[str, Any] = {}
ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "name", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        }
    },
}
LINK = {
    "type": "object",
    "properties": {"url": {"type": "string"}, "method": {"type": "string"}, "type": {"type": "string"}},
}
PROPERTY = {
    "type": "object",
    "required": ["key"],
    "properties": {
        "key": {"type": "string"},
        "name": {"type": "string"},
        "type": {"type": "string", "enum": ["text", "number", "date", "boolean"]},
        "isRequired": {"type": "boolean"},
        "onDemand": {"type": "boolean"},
        "formula": {"type": "string"},
    },
}
DATASET = {
    "type": "object",
    "required": ["datasetId", "name", "type", "properties", "cacheKey", "items"],
    "properties": {
        "datasetId": {"type": "string"},
        "cacheKey": {"type": "string"},
        "name": {"type": "string"},
        "type": {"type": "string"},
        "autoId": {"type": "string"},
        "labelId": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "properties": {"type": "array", "items": {"type": "object"}},
        "items": {
            "type": "object",
            "properties": {
                "lastTransactionId": {"type": ["string", "null"]},
                "modifiedAt": {"type": ["string", "null"]},
            },
        },
        "drafts": {"type": "array"},
        "linkingRelationships": {"type": "array"},
        "_links": {"type": "object"},
    },
}
DATASET_LIST = {
    "type": "array",
    "items": {"type": "object", "required": ["datasetId", "name", "type", "isPermissionedView", "_links"]},
}
DATASET_CREATE = {
    "type": "object",
    "required": ["name", "type", "autoId", "labelId", "properties"],
    "properties": {
        "name": {"type": "string"},
        "type": {"type": "string"},
        "autoId": {"type": "string"},
        "labelId": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "treeId": {"type": "string"},
        "treeParentId": {"type": "string"},
        "properties": {"type": "array", "items": PROPERTY},
    },
}
DATASET_PATCH = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "type": {"type": "string"},
        "autoId": {"type": "string"},
        "labelId": {"type": "string"},
        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
        "treeId": {"type": ["string", "null"]},
        "treeParentId": {"type": ["string", "null"]},
        "properties": {"type": "array", "items": PROPERTY},
    },
}
LINKS_CREATE = {
    "type": "object",
    "required": ["name", "fromDatasetId", "toDatasetId"],
    "properties": {
        "name": {"type": "string"},
        "fromDatasetId": {"type": "string"},
        "toDatasetId": {"type": "string"},
        "additionalProperties": {"type": "array", "items": PROPERTY},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
LINKS_PATCH = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
        "additionalProperties": {"type": "array", "items": PROPERTY},
    },
}
ITEMS = {"type": "array", "items": {"type": "object"}}
FILTER = {"type": "object", "description": "MongoDB-style filter"}
PROJECTION = {"type": "object", "additionalProperties": {"type": "integer"}}
ITEMS_QUERY = {"type": "object", "properties": {"filter": FILTER, "projection": PROJECTION}}
ACTIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["_action"],
        "properties": {
            "_action": {
                "type": "string",
                "enum": [
                    "create",
                    "update",
                    "replace",
                    "delete",
                    "createOrUpdate",
                    "createOrReplace",
                    "noop",
                ],
            },
            "_id": {"type": "string"},
            "_sortOrder": {"type": "number"},
        },
    },
}
ITEM_RESULTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["_action", "_status"],
        "properties": {
            "_status": {"type": "string", "enum": ["success", "skipped", "partialSuccess", "failed"]},
            "_failures": {"type": "array"},
        },
    },
}
JOB = {
    "type": "object",
    "required": ["_links", "jobStatus", "_createdAt", "_createdBy", "X-Amzn-Trace-Id"],
    "properties": {
        "_links": {"type": "object", "required": ["self"], "properties": {"self": LINK, "result": LINK}},
        "jobStatus": {"type": "string", "enum": ["created", "running", "failed", "completed"]},
        "_createdAt": {"type": "string"},
        "_createdBy": {"type": "string"},
        "_modifiedAt": {"type": "string"},
        "X-Amzn-Trace-Id": {"type": "string"},
        "errors": {"type": "array"},
    },
}
IMPORT_LOCATION = {
    "type": "object",
    "required": ["method", "url"],
    "properties": {"method": {"type": "string", "enum": ["GET"]}, "url": {"type": "string"}},
}
LOCATION = {
    "type": "object",
    "required": ["method", "url"],
    "properties": {"method": {"type": "string", "enum": ["PUT"]}, "url": {"type": "string"}},
}
CALLBACK = {
    "type": "object",
    "required": ["urlTemplate"],
    "properties": {
        "method": {"type": "string", "enum": ["GET"]},
        "urlTemplate": {"type": "string", "format": "uri"},
    },
}
IMPORT = {
    "type": "object",
    "required": ["importLocation"],
    "properties": {"importLocation": IMPORT_LOCATION, "resultLocation": LOCATION, "callback": CALLBACK},
}
EXPORT = {
    "type": "object",
    "properties": {
        "query": {
            "type": "object",
            "properties": {
                "output": {"type": "object", "properties": {"filter": FILTER, "projection": PROJECTION}}
            },
        },
        "executeOnDemand": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "resultLocation": LOCATION,
        "dataset": {"type": "object"},
        "callback": CALLBACK,
    },
}
ONDEMAND = {
    "type": "object",
    "required": ["executeOnDemand"],
    "properties": {
        "executeOnDemand": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "callback": CALLBACK,
    },
}
POPULATE = {
    "type": "object",
    "required": ["sourceDatasetId", "targetDatasetAutoId"],
    "properties": {
        "sourceDatasetId": {"type": "string"},
        "targetDatasetAutoId": {"type": "string"},
        "allocationId": {"type": "string"},
        "callback": CALLBACK,
    },
}
LAYER = {
    "type": "object",
    "required": ["draftId"],
    "properties": {"draftId": {"type": "string"}, "layerKey": {"type": "string"}},
}
LAYERS = {
    "type": "object",
    "required": ["layers"],
    "properties": {
        "layers": {"type": "array", "minItems": 1, "items": LAYER},
        "foldScheme": {"type": "string", "enum": ["distinct", "lossless", "ordered"]},
        "callback": CALLBACK,
    },
}
CLEAR = {
    "type": "object",
    "required": ["layers"],
    "properties": {"layers": {"type": "array", "minItems": 1, "items": LAYER}, "filter": FILTER},
}
CLEAR_RESULTS = {"type": "array", "items": {"type": "object", "required": ["status", "draftId", "layerKey"]}}
DRAFT = {
    "type": "object",
    "required": ["draftId", "name"],
    "properties": {"draftId": {"type": "string"}, "name": {"type": "string"}},
}
DRAFTS = {"type": "array", "items": {"type": "object"}}
DRAFT_QUERY = {"type": "object", "properties": {"filter": FILTER, "projection": PROJECTION}}
TEMP_REQUEST = {
    "type": "object",
    "required": ["targetType", "targetEncoding"],
    "properties": {
        "targetType": {"type": "string", "enum": ["json", "csv", "tsv"]},
        "targetEncoding": {"type": "string", "enum": ["gzip", "identity"]},
    },
}
TEMP_FILE = {
    "type": "object",
    "required": ["getUrl", "putUrl", "expiresAt"],
    "properties": {
        "getUrl": {"type": "string"},
        "putUrl": {"type": "string"},
        "expiresAt": {"type": "string"},
    },
}


def _param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


_FAIL = {"type": "string", "enum": ["skipAction", "failTransaction"]}
_ENC = {"type": "string", "enum": ["gzip", "identity"]}
COMMON_ITEM_PARAMS = [
    _param("dateFormat", {"type": "string", "enum": ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY"]}),
    _param("onPropertyAccessDenied", {"type": "string", "enum": ["skipProperty", "denyItemAccess"]}),
    _param("onItemAccessDenied", _FAIL),
    _param("onActionValidationFailure", _FAIL),
    _param("implicitDelete", {"type": "boolean"}),
    _param("clearToken", {"type": "string"}),
    _param("noopToken", {"type": "string"}),
]
ITEM_PARAMS = COMMON_ITEM_PARAMS + [
    _param("autoId", {"type": "boolean"}),
    _param("idKey", {"type": "string"}),
    _param("mergeKey", {"type": "string"}),
]
LINK_PARAMS = COMMON_ITEM_PARAMS
_FORMAT = _param(
    "exportFormat", {"type": "string", "enum": ["jsonRows", "jsonColumns", "jsonObjects", "csv", "tsv"]}
)
EXPORT_SYNC_PARAMS = [
    _FORMAT,
    _param("includeBOM", {"type": "boolean"}),
    _param("lineEndings", {"type": "string", "enum": ["unix", "windows"]}),
]
EXPORT_PARAMS = EXPORT_SYNC_PARAMS + [_param("encoding", _ENC), _param("resultEncoding", _ENC)]
ENCODING_PARAMS = [_param("encoding", _ENC), _param("resultEncoding", _ENC)]
APPLY_PARAMS = ENCODING_PARAMS + COMMON_ITEM_PARAMS[1:4]


def ok(schema: dict[str, Any], status: int = 200) -> dict[int | str, dict[str, Any]]:
    """Responses of an operation: its success schema and the documented error shape for the rest."""
    content = {JSON: {"schema": schema}}
    if schema is ANY:
        content = {
            JSON: {"schema": {}},
            "text/csv": {"schema": {"type": "string"}},
            "text/tab-separated-values": {"schema": {"type": "string"}},
        }
    out: dict[int | str, dict[str, Any]] = {status: {"description": "OK", "content": content}}
    for code in (400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503):
        out[code] = {"description": "error", "content": {JSON: {"schema": ERROR}}}
    return out


def body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"requestBody": {"required": required, "content": {JSON: {"schema": schema}}}}


def params(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"parameters": items}
