"""Attacks through `endpoint:`: a pull request points the CI run (and its token) at a host it controls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from orgsync.api.pin import check_pinned
from orgsync.api.target import open_client
from orgsync.errors import ConfigError
from orgsync.manifest.models import Project, ProjectConfig
from tests.support.cli import orgsync
from tests.support.staff_repo import Repo

TOKEN = "ci-token-must-stay-home-7781"


def project(endpoint: str) -> Project:
    config = ProjectConfig.model_construct(tenant="ACME", endpoint=endpoint)
    return Project(root=Path("."), config_file=Path("orgsync.yaml"), config=config, manifests=[])


@pytest.mark.socket
def test_a_pr_that_repoints_the_endpoint_never_sends_the_token_there(tmp_path, emulator_factory):
    attacker = emulator_factory(token="attacker")  # a real server the PR controls, on this machine
    repo = Repo(tmp_path, endpoint=attacker.base_url).write()
    code, out, err = orgsync(
        "plan", "-C", str(repo.root), env={"ORGVUE_URL": "https://orgvue.eu-west-1.concentra.io"}, token=TOKEN
    )
    assert code == 1 and out == ""
    assert err.startswith(
        f"Error: orgsync.yaml: endpoint: endpoint {attacker.base_url} is not the origin "
        "ORGVUE_URL pins (https://orgvue.eu-west-1.concentra.io); the token is sent only there"
    )
    seen = httpx.get(
        f"{attacker.base_url}/_emulator/requests", headers={"Authorization": "Bearer attacker"}
    ).json()
    assert seen == []  # stopped before any request
    code, _, err = orgsync(
        "apply",
        "-C",
        str(repo.root),
        "--auto-approve",
        env={"ORGVUE_URL": "https://orgvue.eu-west-1.concentra.io"},
        token=TOKEN,
    )
    assert code == 1 and "not the origin ORGVUE_URL pins" in err


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example.com",
        "https://orgvue.eu-west-1.concentra.io.evil.com",
        "https://orgvue.eu-west-1.concentra.io:8443",
        "https://concentra.io",
        "https://xorgvue.us-east-1.concentra.io",
        "https://10.0.0.5",
    ],
)
def test_without_a_pin_only_documented_region_hosts_and_loopback_get_the_token(endpoint):
    with pytest.raises(ConfigError) as err:
        open_client(project(endpoint), env={"ORGVUE_TOKEN": TOKEN})
    assert "is not an Orgvue region host" in str(err.value) and "ORGSYNC_ALLOWED_HOSTS" in str(err.value.hint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://orgvue.eu-west-1.concentra.io",
        "https://ORGVUE.us-east-1.concentra.io/",
        "https://orgvue-staging.ap-southeast-2.concentra.io",
        "http://127.0.0.1:8765",
        "http://localhost:9",
    ],
)
def test_documented_hosts_and_loopback_are_accepted_without_a_pin(endpoint):
    client = open_client(project(endpoint), env={"ORGVUE_TOKEN": TOKEN})
    asyncio.run(client.aclose())


def test_the_environment_can_allow_more_hosts_the_repository_cannot():
    check_pinned(
        "https://orgvue.corp.example", "orgsync.yaml", {"ORGSYNC_ALLOWED_HOSTS": "a.b, orgvue.corp.example"}
    )
    check_pinned(
        "https://proxy.example:8443", "orgsync.yaml", {"ORGSYNC_ALLOWED_HOSTS": "proxy.example:8443"}
    )
    with pytest.raises(ConfigError):
        check_pinned(
            "http://orgvue.corp.example", "orgsync.yaml", {"ORGSYNC_ALLOWED_HOSTS": "orgvue.corp.example"}
        )


@pytest.mark.parametrize(
    "pin, endpoint",
    [
        ("https://orgvue.eu-west-1.concentra.io", "https://orgvue.eu-west-1.concentra.io/"),
        ("https://orgvue.eu-west-1.concentra.io/", "https://ORGVUE.eu-west-1.concentra.io:443"),
        ("https://tenant-proxy.corp.example", "https://tenant-proxy.corp.example"),
    ],
)
def test_a_pinned_origin_is_matched_exactly(pin, endpoint):
    check_pinned(endpoint, "orgsync.yaml", {"ORGVUE_URL": pin})


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://orgvue.us-east-1.concentra.io",
        "http://127.0.0.1:8765",
        "https://orgvue.eu-west-1.concentra.io:444",
    ],
)
def test_a_pin_refuses_even_documented_or_loopback_hosts_that_differ(endpoint):
    with pytest.raises(ConfigError, match="is not the origin ORGVUE_URL pins"):
        check_pinned(endpoint, "orgsync.yaml", {"ORGVUE_URL": "https://orgvue.eu-west-1.concentra.io"})


def test_a_templated_endpoint_follows_the_pin(tmp_path):
    repo = Repo(tmp_path, endpoint="{{ env.ORGVUE_URL }}").write()
    code, _, err = orgsync(
        "validate",
        "-C",
        str(repo.root),
        env={"ORGVUE_URL": "https://orgvue.eu-west-1.concentra.io"},
        token=TOKEN,
    )
    assert code == 0, err


@pytest.mark.anyio
async def test_redirects_stay_refused_and_the_token_does_not_follow():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(307, headers={"Location": "https://evil.example.com/steal"})

    from orgsync.api.client import OrgvueClient

    async with OrgvueClient(
        "https://orgvue.eu-west-1.concentra.io", "ACME", TOKEN, transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(Exception) as err:
            await client.list_datasets()
    assert "does not follow redirects" in str(err.value) and TOKEN not in str(err.value)
    assert [r.url.host for r in seen] == ["orgvue.eu-west-1.concentra.io"]
