"""Temporary secure files: presigned GET/PUT URLs, and reading/writing job locations."""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse
from typing import Any

import httpx

from orgsync.emulator.callbacks import LOOPBACK_HOSTS
from orgsync.emulator.errors import ApiError, bad_body, not_found
from orgsync.emulator.model import TempFile
from orgsync.emulator.state import State
from orgsync.emulator.timefmt import iso

FILE_TTL = 15 * 60.0  # D/working/security/: temporary files are removed automatically after 15 minutes
RESULT_TTL = FILE_TTL  # job results are temporary files too
# The answer's field names are not documented (ENDPOINTS.md: assumed); every use goes through these two.
GET_URL_FIELD = "getUrl"
PUT_URL_FIELD = "putUrl"


class Storage:
    """Files of all tenants (kept in `State.files`); URLs are signed with the process's secret."""

    def __init__(self, state: State) -> None:
        self.state = state

    def sign(self, fid: str, op: str) -> str:
        return hmac.new(self.state.secret, f"{fid}:{op}".encode(), hashlib.sha256).hexdigest()[:32]

    def new_file(self, tid: str, body: Any, ttl: float = FILE_TTL) -> TempFile:
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with targetType and targetEncoding")
        if body.get("targetType") not in ("json", "csv", "tsv"):
            raise bad_body("targetType must be json, csv or tsv", "$.targetType")
        if body.get("targetEncoding") not in ("gzip", "identity"):
            raise bad_body("targetEncoding must be gzip or identity", "$.targetEncoding")
        return self.new_file_record(tid, body["targetType"], body["targetEncoding"], ttl)

    def new_file_record(
        self, tid: str, ttype: str, enc: str, ttl: float, data: bytes | None = None
    ) -> TempFile:
        f = TempFile(self.state.new_id(), tid, ttype, enc, self.state.now() + ttl, data)
        with self.state.lock:
            self.state.files[f.id] = f
        self.state.store.save_file(f)
        return f

    def file_urls(self, f: TempFile, base: str) -> dict[str, str]:
        url = f"{base}/_files/{f.id}"
        return {
            GET_URL_FIELD: f"{url}?op=get&sig={self.sign(f.id, 'get')}",
            PUT_URL_FIELD: f"{url}?op=put&sig={self.sign(f.id, 'put')}",
            "expiresAt": iso(f.expires_at),
        }

    def file_answer(self, f: TempFile, base: str) -> dict[str, Any]:
        """The answer of `POST /files/generate`: flat `getUrl`/`putUrl` (default), or with `temp_file_links`
        `_links` objects told apart by their `type` (`downloadLink`/`uploadLink`, the reference's link types).
        D/recipes/import-integration-async/ says only that there are two URLs, one to read, one to write."""
        urls = self.file_urls(f, base)
        if not self.state.settings.temp_file_links:
            return urls
        return {
            "_links": {
                "file": {"url": urls[GET_URL_FIELD], "method": "GET", "type": "downloadLink"},
                "file:upload": {"url": urls[PUT_URL_FIELD], "method": "PUT", "type": "uploadLink"},
            },
            "expiresAt": urls["expiresAt"],
        }

    def open_file(self, fid: str, op: str | None, sig: str | None) -> TempFile:
        f = self.state.files.get(fid)
        if f is None:
            raise not_found("file", fid)
        if op not in ("get", "put") or not sig or not hmac.compare_digest(sig, self.sign(fid, op)):
            raise ApiError(
                403,
                "403001",
                "SignatureDoesNotMatch",
                "the presigned URL signature is not valid for this operation",
            )
        if self.state.now() >= f.expires_at:
            f.data = None  # deleted with its URLs (D/working/security/)
            raise ApiError(
                403,
                "403002",
                "RequestExpired",
                "the presigned URL has expired (temporary files last 15 minutes)",
            )
        return f

    def write_file(self, f: TempFile, data: bytes) -> None:
        f.data = data
        self.state.store.save_file(f)

    def fetch_url(self, url: Any) -> tuple[bytes, str | None]:
        """Read an import location: one of our presigned files, or any other URL over HTTP."""
        if not isinstance(url, str) or not url:
            raise bad_body(
                "importLocation.url must be the read URL of a temporary file", "$.importLocation.url"
            )
        parts = urllib.parse.urlsplit(url)
        if parts.path.startswith("/_files/"):
            q = dict(urllib.parse.parse_qsl(parts.query))
            f = self.open_file(parts.path.rsplit("/", 1)[-1], q.get("op"), q.get("sig"))
            if f.data is None:
                raise ApiError(
                    400, "400012", "EmptyLocation", "nothing has been uploaded to this location yet"
                )
            return f.data, f.target_type
        self._check_remote(parts)
        try:
            response = httpx.get(url, timeout=60, follow_redirects=False)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ApiError(400, "400013", "LocationUnreadable", f"cannot read the location: {exc}") from None
        return response.content, None

    def deliver(self, url: str, data: bytes) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.path.startswith("/_files/"):
            q = dict(urllib.parse.parse_qsl(parts.query))
            self.write_file(self.open_file(parts.path.rsplit("/", 1)[-1], q.get("op"), q.get("sig")), data)
        else:
            self._check_remote(parts)
            httpx.put(url, content=data, timeout=60, follow_redirects=False).raise_for_status()

    def _check_remote(self, parts: urllib.parse.SplitResult) -> None:
        """Other hosts only when allowed (`--allow-remote-callbacks`): the emulator must not be a relay into the
        network of the machine it runs on."""
        if (
            not self.state.settings.allow_remote_callbacks
            and (parts.hostname or "").lower() not in LOOPBACK_HOSTS
        ):
            raise ApiError(
                400,
                "400013",
                "LocationUnreadable",
                "the emulator reads and writes locations only on "
                "loopback hosts unless started with --allow-remote-callbacks",
            )
