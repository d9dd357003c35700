"""Every Orgvue path, query parameter and assumed field name the client uses, in one place.

Source: /work/shared/orgvue-api/ENDPOINTS.md. Names marked *assumed* there may differ on the real service;
correcting one is an edit to this module only. Paths are relative to `api_base()`.
"""

from __future__ import annotations

from typing import Any

API_PREFIX = "/api/v1/{tenant}"

# --- paths (ENDPOINTS.md table rows) -------------------------------------------------------------
DATASETS = "/datasets"  # 1 GET list, 2 POST create
DATASET = "/datasets/{id}"  # 3 GET, 4 PATCH
DATASET_EXPORT = "/datasets/{id}/export"  # 5 POST async export, 6 GET sync export
DATASET_ITEMS = "/datasets/{id}/items"  # 7 GET all, 9 PUT sync import
DATASET_ITEMS_QUERY = "/datasets/{id}/items/query"  # 8
DATASET_ITEMS_IMPORT = "/datasets/{id}/items/import"  # 10 (PUT, documented in D/items/drafts/)
DATASET_DRAFTS_APPLY = "/datasets/{id}/drafts/apply"  # 11 (assumed path)
DATASET_ONDEMAND = "/datasets/{id}/ondemand"  # 12
LINKS = "/links"  # 13 POST create
LINKS_ONE = "/links/{id}"  # 14 PATCH
LINKS_POPULATE = "/links/{id}/populate"  # 15
LINKS_ITEMS = "/links/{id}/items"  # 16 PUT
LINKS_ITEMS_IMPORT = "/links/{id}/items/import"  # 17 (PUT, by analogy with 10)
DRAFTS_QUERY = "/drafts/query"  # 18
DRAFT = "/drafts/{id}"  # 19
DRAFTS_ACTIONS = "/drafts/actions"  # 20 (documented)
DRAFTS_CLEAR = "/drafts/clear"  # 21
TEMPORARY_FILE = "/files/generate"  # 22 POST (documented in D/recipes/import-integration-async/)

# --- methods where one is not the obvious one -----------------------------------------------------------
IMPORT_METHOD = "PUT"  # 10, 17: the async import is a PUT, like the sync one (D/items/drafts/)
IMPORT_LOCATION_METHOD = "GET"  # importLocation: the service reads the file with a GET
RESULT_LOCATION_METHOD = "PUT"  # resultLocation: the service writes the result with a PUT
CALLBACK_METHOD = "GET"

# --- headers (auth scheme is *assumed*) -------------------------------------------------------------
AUTH_HEADER = "Authorization"
AUTH_SCHEME = "Bearer"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
TRACE_HEADER = (
    "X-Amzn-Trace-Id"  # on every direct answer, and the same field on jobTickets (D/working/tracking/)
)

# --- query parameters --------------------------------------------------------------------------------
Q_DELETE_OMITTED = "deleteOmittedProperties"
Q_EXPORT_FORMAT = "exportFormat"
Q_ENCODING = "encoding"
Q_INCLUDE_BOM = "includeBOM"
Q_LINE_ENDINGS = "lineEndings"

# --- resource fields ------------------------------------------------------------------------------------
F_DATASET_ID = "datasetId"
F_NAME = "name"
F_TYPE = "type"
F_ERRORS = "errors"
F_LINKS = "_links"
F_URL = "url"
LINK_SELF = "self"
LINK_RESULT = "result"
LINK_RETRIEVE = "dataset:retrieve"  # on each listed dataset (1)
LINK_EXPORT_CSV = "dataset:export:csv"  # on a retrieved dataset (3); its URL already names the format

# links dataset ends: set at creation (POST /links), never changed. A retrieved dataset reports the ends of each
# links relationship it takes part in under `linkingRelationships[]` (`source` / `target`, each with a
# `datasetId`); the links dataset's own entry is the one whose `datasetId` is its own. The resource itself does not
# name its ends (D/Dataset-operations/create-links-dataset/): `fromDatasetId` / `toDatasetId` are create-body fields,
# read back from a resource only if a service happens to show them.
F_FROM_DATASET_ID = "fromDatasetId"
F_TO_DATASET_ID = "toDatasetId"
F_LINKING_RELATIONSHIPS = "linkingRelationships"
F_REL_SOURCE = "source"
F_REL_TARGET = "target"

# jobTicket
F_JOB_STATUS = "jobStatus"
JOB_COMPLETED = "completed"
JOB_FAILED = "failed"

# temporary file: the body is documented, the answer's field names are not (D/recipes/import-integration-async/:
# "2 URLs", one to read, one to write). Accepted: flat fields (*assumed* {"getUrl","putUrl","expiresAt"}), or
# `_links`-style objects `{url, type}` told apart by the reference's link types (*inferred*).
F_TEMP_GET_URL = "getUrl"
F_TEMP_PUT_URL = "putUrl"
F_LINK_TYPE = "type"
LINK_TYPE_DOWNLOAD = "downloadLink"  # the read URL
LINK_TYPE_UPLOAD = "uploadLink"  # the write URL
F_TEMP_EXPIRES = "expiresAt"
F_TEMP_TARGET_TYPE = "targetType"
F_TEMP_TARGET_ENCODING = "targetEncoding"

# async bodies (D/items/drafts/): importLocation{method,url}, resultLocation{method,url}, callback{method,urlTemplate}
F_IMPORT_LOCATION = "importLocation"
F_RESULT_LOCATION = "resultLocation"
F_CALLBACK = "callback"
F_METHOD = "method"
F_URL_TEMPLATE = "urlTemplate"
# D/working/async/: "For all asynchronous operations, the API provides a jobStatus and traceId template
# parameters"; `{{tenantId}}` appears only in the examples of D/items/drafts/ (the import and the draft apply)
TENANT_PLACEHOLDER = "{{tenantId}}"
TENANT_CALLBACK_PATHS = frozenset({DATASET_ITEMS_IMPORT, LINKS_ITEMS_IMPORT, DATASET_DRAFTS_APPLY})

# export output query (D/egress/column-manipulation/)
F_PROJECTION = "projection"
F_PROJECTION_MODE = "projectionMode"
PROJECTION_REPLACE = "replace"  # only the projected columns, ordered by their numbers (`add` is the default)

# drafts (18-21): a dataset resource lists its drafts (`drafts[{draftId,name,_links}]`); a draft names its layers in
# `_links["draft:actions"].jsonBody.layers`; actions and clear take `layers[{draftId,layerKey}]`
F_DRAFTS = "drafts"
F_DRAFT_ID = "draftId"
F_LAYERS = "layers"
F_LAYER_KEY = "layerKey"
F_FOLD_SCHEME = "foldScheme"
F_FILTER = "filter"
F_CREATED_BY = "createdBy"
F_ITEM_ID = "_id"
LINK_DRAFT_ACTIONS = "draft:actions"
DEFAULT_LAYER = "default"
FOLD_DISTINCT = "distinct"  # one action per item, later layers winning (the documented default)

# on-demand / populate bodies
F_EXECUTE_ON_DEMAND = "executeOnDemand"

# item actions: the ones that give the same end state when sent twice (so a lost answer may be re-sent)
IDEMPOTENT_ACTIONS = frozenset({"update", "delete", "replace", "createOrUpdate", "createOrReplace", "noop"})
F_ACTION = "_action"


def api_base(base_url: str, tenant: str) -> str:
    """`{baseUrl}/api/v1/{tenantId}` without a trailing slash."""
    return base_url.rstrip("/") + API_PREFIX.format(tenant=tenant)


def path(template: str, **ids: str) -> str:
    """A path template with its ids filled in."""
    return template.format(**ids)


def link_url(resource: dict[str, Any] | None, rel: str) -> str | None:
    """The HATEOAS `_links[rel].url` of a response, when the service gave one."""
    links = (resource or {}).get(F_LINKS) or {}
    link = links.get(rel) or {}
    url = link.get(F_URL) if isinstance(link, dict) else None
    return url or None


def export_body(projection: list[str] | None) -> dict[str, Any]:
    """Body of an async export: the projection (property keys, in order) under `query.output`.

    D/egress/column-manipulation/: `add` is the default mode of export output queries and returns every
    property; only `replace` limits the output to the projection, whose numbers 1..n set the column order."""
    if not projection:
        return {}
    ranked = {key: n for n, key in enumerate(projection, start=1)}
    return {"query": {"output": {F_PROJECTION: ranked, F_PROJECTION_MODE: PROJECTION_REPLACE}}}


def draft_layers(draft: dict[str, Any]) -> list[dict[str, str]]:
    """A draft's layers as its `draft:actions` link gives them, else its `default` layer."""
    link = ((draft.get(F_LINKS) or {}).get(LINK_DRAFT_ACTIONS) or {}) if isinstance(draft, dict) else {}
    body = link.get("jsonBody") if isinstance(link, dict) else None
    layers = body.get(F_LAYERS) if isinstance(body, dict) else None
    if isinstance(layers, list) and layers and all(isinstance(x, dict) for x in layers):
        return [
            {F_DRAFT_ID: str(x.get(F_DRAFT_ID, "")), F_LAYER_KEY: str(x.get(F_LAYER_KEY, DEFAULT_LAYER))}
            for x in layers
        ]
    return [{F_DRAFT_ID: str(draft.get(F_DRAFT_ID, "")), F_LAYER_KEY: DEFAULT_LAYER}]


def export_params(export_format: str | None = "csv", gzip: bool = True) -> dict[str, str]:
    """Query of an async export: format (None when the URL already names it), gzip result, no BOM, unix line endings."""
    params = {Q_EXPORT_FORMAT: export_format} if export_format else {}
    return params | {
        Q_ENCODING: "gzip" if gzip else "identity",
        Q_INCLUDE_BOM: "false",
        Q_LINE_ENDINGS: "unix",
    }


def temporary_file_body(target_type: str, gzip: bool) -> dict[str, str]:
    """Body asking for a secure temporary file of this type and encoding."""
    return {F_TEMP_TARGET_TYPE: target_type, F_TEMP_TARGET_ENCODING: "gzip" if gzip else "identity"}


def import_body(
    get_url: str, result_url: str | None = None, callback_template: str | None = None, *, links: bool = False
) -> dict[str, Any]:
    """Body of an async import reading the uploaded temporary file (`importLocation`), with the optional
    `resultLocation` and `callback` every async endpoint takes."""
    body: dict[str, Any] = {F_IMPORT_LOCATION: {F_METHOD: IMPORT_LOCATION_METHOD, F_URL: get_url}}
    if result_url:
        body[F_RESULT_LOCATION] = {F_METHOD: RESULT_LOCATION_METHOD, F_URL: result_url}
    if callback_template:
        endpoint = LINKS_ITEMS_IMPORT if links else DATASET_ITEMS_IMPORT
        body[F_CALLBACK] = callback_body(callback_template, endpoint)
    return body


def callback_body(url_template: str, endpoint: str) -> dict[str, str]:
    """The `callback` of an async request to `endpoint` (a path template above): a GET of the template, with
    `{{jobStatus}}` and `{{traceId}}` filled in; `{{tenantId}}` only on the endpoints whose page shows it
    (TENANT_CALLBACK_PATHS), else ValueError: elsewhere it would reach the receiver unreplaced."""
    if TENANT_PLACEHOLDER in url_template and endpoint not in TENANT_CALLBACK_PATHS:
        raise ValueError(
            f"{TENANT_PLACEHOLDER} is filled in only by the import and the draft apply (D/items/drafts/); "
            f"put the tenant id into the callback URL itself for {endpoint}"
        )
    return {F_METHOD: CALLBACK_METHOD, F_URL_TEMPLATE: url_template}


def query_body(
    filter: dict[str, Any] | None, projection: list[str] | dict[str, Any] | None
) -> dict[str, Any]:
    """Body of an items or drafts query: MongoDB-style filter and a `{key: 1}` projection."""
    body: dict[str, Any] = {}
    if filter is not None:
        body["filter"] = filter
    if projection is not None:
        body["projection"] = projection if isinstance(projection, dict) else {key: 1 for key in projection}
    return body
