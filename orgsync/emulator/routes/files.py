"""Temporary secure files: `POST …/files/generate` and the presigned `/_files/{id}` URLs it hands out."""

from __future__ import annotations

import tempfile

from fastapi import APIRouter, Request, Response

from orgsync.emulator import openapi_schemas as S
from orgsync.emulator.errors import ApiError
from orgsync.emulator.files import GET_URL_FIELD, PUT_URL_FIELD, Storage
from orgsync.emulator.routes.common import base_url, json_response, read_json, work
from orgsync.emulator.state import Settings


def add_files_routes(routes: APIRouter, storage: Storage, settings: Settings) -> None:
    """Register this area's operations on `routes` (create_app passes the app's own router)."""

    @routes.post(
        "/api/v1/{tenantId}/files/generate",
        status_code=201,
        responses=S.ok(S.TEMP_FILE, 201),
        openapi_extra=S.body(S.TEMP_REQUEST),
        tags=["files"],
    )
    async def new_file(request: Request, tenantId: str) -> Response:
        f = storage.new_file(tenantId, await read_json(request))
        return json_response(storage.file_answer(f, base_url(request)), 201)

    @routes.put("/_files/{fileId}", include_in_schema=False)
    async def put_file(
        request: Request, fileId: str, op: str | None = None, sig: str | None = None
    ) -> Response:
        f = storage.open_file(fileId, op, sig)
        if op != "put":
            raise ApiError(
                403,
                "403001",
                "SignatureDoesNotMatch",
                f"this URL is for reading; upload with the {PUT_URL_FIELD}",
            )
        await work(storage.write_file, f, await _capped_body(request, settings.max_upload_bytes))
        return Response(status_code=200)

    @routes.get("/_files/{fileId}", include_in_schema=False)
    async def get_file(fileId: str, op: str | None = None, sig: str | None = None) -> Response:
        f = storage.open_file(fileId, op, sig)
        if op != "get":
            raise ApiError(
                403,
                "403001",
                "SignatureDoesNotMatch",
                f"this URL is for writing; read with the {GET_URL_FIELD}",
            )
        if f.data is None:
            raise ApiError(404, "404001", "NoSuchKey", "nothing has been written to this file yet")
        return Response(f.data, media_type="application/octet-stream")


async def _capped_body(request: Request, limit: int) -> bytes:
    """The upload, streamed to a temporary file (not held twice in memory) and refused past `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "413001", "EntityTooLarge", f"the upload is larger than {limit} bytes")
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "413001", "EntityTooLarge", f"the upload is larger than {limit} bytes")
            spool.write(chunk)
        spool.seek(0)
        return spool.read()
