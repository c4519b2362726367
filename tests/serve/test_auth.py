"""The bearer token: with --token every /v1 call needs it, compared in constant time; probes and the page do not."""

from __future__ import annotations

import pytest

import spoilerscan.serve.auth as auth
from tests.serve.conftest import StubDetector, app_of, serving
from tests.serve.test_errors import error_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic c2VjcmV0", "Bearer", "bearer secret2"])
async def test_with_a_token_every_v1_call_needs_it(header: str | None, stub: StubDetector) -> None:
    headers = {} if header is None else {"authorization": header}
    async with serving(app_of(stub, token="secret")) as client:
        for method, path, body in (("POST", "/v1/annotate", {"text": "x"}), ("POST", "/v1/redact", {"text": "x"}),
                                   ("POST", "/v1/check", {"text": "x"}), ("GET", "/v1/model", None),
                                   ("POST", "/v1/annotate/batch", {"reviews": [{"text": "x"}]})):
            response = await client.request(method, path, json=body, headers=headers)
            error_of(response, 401, "unauthorized")
            assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_right_token_passes_compared_in_constant_time(stub: StubDetector,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = auth.hmac.compare_digest

    def recorded(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", recorded)
    async with serving(app_of(stub, token="secret")) as client:
        good = await client.post("/v1/annotate", json={"text": "x"}, headers={"authorization": "Bearer secret"})
        health = await client.get("/healthz")
        page = await client.get("/")
    assert good.status_code == 200 and compared == [(b"secret", b"secret")]
    assert health.status_code == 200 and page.status_code == 200  # probes and the page need no token
