"""The admin API under `/_emulator/` (not Orgvue's): reset, seeds, access rules, faults, logs, clock, limits."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from orgsync.emulator import drafts as draft_ops
from orgsync.emulator.errors import ApiError, bad_body
from orgsync.emulator.routes.common import base_url, json_response, read_json, work
from orgsync.emulator.service import Emulator


def add_admin_routes(routes: APIRouter, emu: Emulator) -> None:
    """Register this area's operations on `routes` (create_app passes the app's own router)."""

    @routes.post("/_emulator/tenants/{tenantId}/reset", include_in_schema=False)
    async def reset(tenantId: str) -> Response:
        await work(emu.reset, tenantId)
        return json_response({"tenantId": tenantId, "reset": True})

    @routes.post("/_emulator/tenants/{tenantId}/drafts", include_in_schema=False)
    async def seed_draft(request: Request, tenantId: str) -> Response:
        draft = emu.drafting.seed_draft(tenantId, await read_json(request))
        return json_response(draft_ops.render(draft, f"{base_url(request)}/api/v1/{tenantId}"), 201)

    @routes.post("/_emulator/tenants/{tenantId}/access", include_in_schema=False)
    async def add_access(request: Request, tenantId: str) -> Response:
        return json_response(emu.add_access(tenantId, await read_json(request)), 201)

    @routes.delete("/_emulator/tenants/{tenantId}/access", include_in_schema=False)
    async def clear_access(tenantId: str) -> Response:
        emu.clear_access(tenantId)
        return Response(status_code=204)

    @routes.post("/_emulator/faults", include_in_schema=False)
    async def add_fault(request: Request) -> Response:
        return json_response(emu.faults.add(await read_json(request)).describe(), 201)

    @routes.get("/_emulator/faults", include_in_schema=False)
    async def list_faults() -> Response:
        return json_response([f.describe() for f in emu.faults.faults])

    @routes.post("/_emulator/faults/{faultId}/release", include_in_schema=False)
    async def release_held(request: Request, faultId: int) -> Response:
        body = await read_json(request, optional=True)
        count = body.get("count") if isinstance(body, dict) else None
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise bad_body(
                "count must be a positive integer (or left out: release every held request)", "$.count"
            )
        fault = emu.faults.release_held(faultId, count)
        if fault is None:
            raise ApiError(404, "404000", "NotFound", f"no fault {faultId}")
        return json_response(fault.describe())

    @routes.delete("/_emulator/faults", include_in_schema=False)
    async def clear_faults() -> Response:
        emu.faults.clear()
        return Response(status_code=204)

    @routes.get("/_emulator/requests", include_in_schema=False)
    async def requests_log() -> Response:
        return json_response(emu.faults.log)

    @routes.get("/_emulator/inflight", include_in_schema=False)
    async def in_flight() -> Response:
        return json_response({"requests": emu.faults.active})

    @routes.delete("/_emulator/requests", include_in_schema=False)
    async def clear_log() -> Response:
        with emu.faults.lock:
            emu.faults.log.clear()
        return Response(status_code=204)

    @routes.get("/_emulator/callbacks", include_in_schema=False)
    async def callbacks_log() -> Response:
        return json_response(emu.callbacks.snapshot())

    @routes.delete("/_emulator/callbacks", include_in_schema=False)
    async def clear_callbacks() -> Response:
        emu.callbacks.clear()
        return Response(status_code=204)

    @routes.post("/_emulator/clock", include_in_schema=False)
    async def clock(request: Request) -> Response:
        body = await read_json(request)
        advance, freeze = (
            (body.get("advanceSeconds"), body.get("freeze")) if isinstance(body, dict) else (None, None)
        )
        if (
            (advance is None and freeze is None)
            or (advance is not None and not isinstance(advance, int | float))
            or (freeze is not None and not isinstance(freeze, bool))
        ):
            raise bad_body("the body must be {advanceSeconds?: number, freeze?: boolean}", "$.advanceSeconds")
        emu.clock.adjust(float(advance or 0), freeze)
        return json_response(
            {
                "offsetSeconds": emu.clock.offset,
                "frozen": emu.clock.frozen is not None,
                "now": emu.clock.now(),
            }
        )

    @routes.get("/_emulator/limits", include_in_schema=False)
    async def get_limits() -> Response:
        return json_response(emu.limits.snapshot())

    @routes.post("/_emulator/limits", include_in_schema=False)
    async def set_limits(request: Request) -> Response:
        emu.limits.configure(await read_json(request))
        return json_response(emu.limits.snapshot())

    @routes.delete("/_emulator/limits", include_in_schema=False)
    async def reset_limits() -> Response:
        emu.limits.reset()
        return Response(status_code=204)
