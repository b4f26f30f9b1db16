"""Optional live check of a pasted credential against the Anthropic API.

It calls `GET /v1/models`, which proves the credential is accepted without spending tokens. Off by
default (a gateway host may not reach the internet); the base URL is a setting so tests point it at
a loopback fake. A 401/403 means "rejected by Anthropic"; anything else that is not a success
means "could not verify", and settings decide whether to store anyway.
"""
from __future__ import annotations

from dataclasses import dataclass

import httpx

from core.secrets.credentials import Credential, Kind

__all__ = ["ProbeResult", "Prober"]


@dataclass(frozen=True)
class ProbeResult:
    outcome: str  # "ok" | "rejected" | "unverified"
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


class Prober:
    def __init__(self, base_url: str = "https://api.anthropic.com", *, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport

    def headers(self, credential: Credential) -> dict[str, str]:
        headers = {"anthropic-version": "2023-06-01"}
        if credential.kind is Kind.SETUP_TOKEN:
            headers["authorization"] = f"Bearer {credential.value}"
            headers["anthropic-beta"] = "oauth-2025-04-20"
        else:
            headers["x-api-key"] = credential.value
        return headers

    def probe(self, credential: Credential) -> ProbeResult:
        try:
            with httpx.Client(base_url=self.base_url, timeout=self.timeout, transport=self.transport) as client:
                response = client.get("/v1/models", headers=self.headers(credential))
        except httpx.HTTPError as exc:
            # The exception text names the URL only; httpx never puts request headers in it.
            return ProbeResult("unverified", f"could not reach Anthropic ({type(exc).__name__})")
        if response.status_code in (401, 403):
            return ProbeResult("rejected", f"rejected by Anthropic (HTTP {response.status_code})")
        if response.is_success:
            return ProbeResult("ok", "accepted by Anthropic")
        return ProbeResult("unverified", f"Anthropic answered HTTP {response.status_code}")
