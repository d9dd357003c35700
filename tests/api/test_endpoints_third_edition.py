"""The request bodies endpoints.py builds, against the third edition of ENDPOINTS.md (each test cites its page)."""

from __future__ import annotations

import pytest

from orgsync.api import endpoints as ep


def test_an_export_projection_replaces_and_orders_1_to_n() -> None:
    """D/egress/column-manipulation/: `add` is the default for export output queries and returns every property;
    only `replace` limits the output to the projection, whose numbers set the column order."""
    assert ep.export_body(["emp", "name", "_id"]) == {
        "query": {"output": {"projection": {"emp": 1, "name": 2, "_id": 3}, "projectionMode": "replace"}}
    }
    assert ep.export_body(None) == {} and ep.export_body([]) == {}


def test_tenant_id_in_a_callback_only_where_the_page_shows_it() -> None:
    """D/working/async/: jobStatus and traceId for all asynchronous operations; {{tenantId}} appears only in the
    examples of D/items/drafts/ (the import and the draft apply)."""
    template = "https://hooks.example/done?s={{jobStatus}}&t={{traceId}}&tenant={{tenantId}}"
    for endpoint in (ep.DATASET_ITEMS_IMPORT, ep.LINKS_ITEMS_IMPORT, ep.DATASET_DRAFTS_APPLY):
        assert ep.callback_body(template, endpoint) == {"method": "GET", "urlTemplate": template}
    for endpoint in (ep.DATASET_EXPORT, ep.DATASET_ONDEMAND, ep.LINKS_POPULATE, "/drafts/actions"):
        with pytest.raises(ValueError, match="filled in only by the import and the draft apply"):
            ep.callback_body(template, endpoint)
        plain = "https://hooks.example/done?s={{jobStatus}}&t={{traceId}}"
        assert ep.callback_body(plain, endpoint)["urlTemplate"] == plain
    body = ep.import_body("https://s3.example/f?sig=r", callback_template=template, links=True)
    assert body["callback"]["urlTemplate"] == template


def _temporary(answer: object) -> object:
    """The TemporaryFile the client makes of a `POST /files/generate` answer (or the error it raises)."""
    import httpx

    from orgsync.api.files import temporary_from_answer
    from orgsync.api.http import HttpCore

    core = HttpCore("https://orgvue.example", "ACME", "tok-SECRET")
    request = httpx.Request("POST", "https://orgvue.example/api/v1/ACME/files/generate")
    response = httpx.Response(201, json=answer, request=request)
    try:
        return temporary_from_answer(core, response)
    except Exception as err:  # noqa: BLE001 - the test looks at it
        return err


SIGNED_GET, SIGNED_PUT = "https://s3.example/f?op=get&sig=RSIG", "https://s3.example/f?op=put&sig=WSIG"


@pytest.mark.parametrize(
    "links",
    [
        {"a": {"url": SIGNED_PUT, "type": "uploadLink"}, "b": {"url": SIGNED_GET, "type": "downloadLink"}},
        [{"url": SIGNED_GET, "type": "downloadLink"}, {"url": SIGNED_PUT, "type": "uploadLink"}],
    ],
)
def test_temporary_file_urls_as_links_told_apart_by_type(links: object) -> None:
    """D/recipes/import-integration-async/: "This returns 2 URLs" (to read, to write), no field names; the
    reference's link types are downloadLink/uploadLink: `_links` objects are told apart by `type`, not by name."""
    from orgsync.api.files import TemporaryFile

    temp = _temporary({"_links": links})
    assert isinstance(temp, TemporaryFile)
    assert (temp.get_url, temp.put_url, temp.style) == (SIGNED_GET, SIGNED_PUT, "links")
    flat = _temporary({"getUrl": SIGNED_GET, "putUrl": SIGNED_PUT})
    assert isinstance(flat, TemporaryFile) and (flat.get_url, flat.style) == (SIGNED_GET, "flat")


def test_links_without_an_upload_type_say_so_never_the_urls() -> None:
    """D/recipes/import-integration-async/: without a write URL nothing can be imported; the message names what is
    missing and the fields received, never a presigned URL."""
    from orgsync.errors import UnexpectedAnswerError

    err = _temporary({"_links": {"a": {"url": SIGNED_GET, "type": "downloadLink"}}})
    assert isinstance(err, UnexpectedAnswerError)
    assert "lacks an uploadLink link (it has: _links)" in str(err)
    assert "RSIG" not in str(err) and "tok-SECRET" not in str(err)
