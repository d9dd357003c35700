"""Target selection: local vs https, endpoint checks, token sources, and the label shown first."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orgsync.api.target import check_endpoint, open_client, target_label
from orgsync.errors import ConfigError
from orgsync.manifest.models import Project, ProjectConfig

TOKEN = "tok-TARGET-123456"


def project(endpoint: str, root: Path = Path(".")) -> Project:
    # model_construct: the loader already refuses bad endpoints; these tests check the client's own guard
    config = ProjectConfig.model_construct(tenant="ACME", endpoint=endpoint)
    return Project(root=root, config_file=root / "orgsync.yaml", config=config, manifests=[])


def test_labels_name_the_target_first():
    assert (
        target_label(project("local"))
        == "Target: local (embedded emulator, .orgsync/tenant.db) · tenant ACME"
    )
    assert target_label(project("https://eu.orgvue.com/")) == "Target: https://eu.orgvue.com · tenant ACME"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://eu.orgvue.com",
        "ftp://x",
        "eu.orgvue.com",
        "https://",
        "https://user:pw@eu.orgvue.com",
        "https://eu.orgvue.com/?token=1",
    ],
)
def test_endpoints_that_are_refused(endpoint):
    with pytest.raises(ConfigError) as info:
        check_endpoint(project(endpoint))
    assert "orgsync.yaml" in str(info.value) and "endpoint" in str(info.value)


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:8765", "http://localhost:9000/", "https://eu.orgvue.com"]
)
def test_endpoints_that_are_accepted(endpoint):
    assert check_endpoint(project(endpoint)) == endpoint.rstrip("/")


def test_https_client_takes_the_token_from_the_environment():
    client = open_client(
        project("https://eu.orgvue.com"), env={"ORGVUE_TOKEN": TOKEN, "ORGVUE_URL": "https://eu.orgvue.com"}
    )
    assert client.base_url == "https://eu.orgvue.com" and client.tenant == "ACME"
    assert client.target_label == "Target: https://eu.orgvue.com · tenant ACME"
    assert TOKEN not in repr(client)
    asyncio.run(client.aclose())


def test_https_client_takes_the_token_from_a_file(tmp_path):
    (tmp_path / "token.txt").write_text(TOKEN + "\n")
    (tmp_path / "repo").mkdir()
    client = open_client(
        project("https://eu.orgvue.com", tmp_path / "repo"),
        env={"ORGVUE_TOKEN_FILE": str(tmp_path / "token.txt"), "ORGVUE_URL": "https://eu.orgvue.com"},
    )
    assert client._core._token.value == TOKEN
    asyncio.run(client.aclose())


def test_a_remote_target_without_a_token_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        open_client(project("https://eu.orgvue.com"), env={"ORGVUE_URL": "https://eu.orgvue.com"})
    assert "ORGVUE_TOKEN" in info.value.hint
