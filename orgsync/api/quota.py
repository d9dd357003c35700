"""The tenant's documented usage quota and rate limits (D/rate-limit-quota/, D/items/general-usage/): plain numbers."""

from __future__ import annotations

MAX_RPS = 100  # requests per second per tenant, beyond which 429 42901
MAX_IN_FLIGHT = 50  # concurrent requests per tenant, beyond which 429 42901
DAILY_QUOTA = 500_000  # requests per tenant and day (the default), beyond which 429 42902
