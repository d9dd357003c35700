"""Orgvue's region hosts (D/guide/) and the pages of a region a message can send a user to."""

from __future__ import annotations

from urllib.parse import urlsplit

REGION_HOSTS = {
    "orgvue.eu-west-1.concentra.io": "EU West",
    "orgvue.us-east-1.concentra.io": "US East",
    "orgvue.ap-southeast-2.concentra.io": "AP SouthEast",
    "orgvue-staging.eu-west-1.concentra.io": "EU West - Staging",
    "orgvue-staging.us-east-1.concentra.io": "US East - Staging",
    "orgvue-staging.ap-southeast-2.concentra.io": "AP SouthEast - Staging",
}
SUPPORT_EMAIL = "support@orgvue.com"


def region_of(base_url: str) -> str | None:
    """The region name of a base URL on a known Orgvue host, else None."""
    parts = urlsplit(base_url)
    return REGION_HOSTS.get(parts.hostname or "") if parts.scheme == "https" else None


def _page(base_url: str, path: str) -> str:
    if region_of(base_url):
        host = urlsplit(base_url).hostname
        return f"https://{host}{path}"
    return f"{path} of your Orgvue region (e.g. https://orgvue.eu-west-1.concentra.io{path})"


def tokens_page(base_url: str) -> str:
    """Where tokens are made: `https://<region host>/tokens`."""
    return _page(base_url, "/tokens")


def settings_page(base_url: str) -> str:
    """The settings app holding the Users list (and its TokenAccess property)."""
    return _page(base_url, "/app/configui")
