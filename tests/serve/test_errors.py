"""Every bad input and every refusal is answered in the one shape, with the status it documents."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

import spoilerscan.service.operations as operations
from spoilerscan.model.detect import Detector
from tests.serve.conftest import StubDetector, app_of, holding_the_worker, service_of, serving, until

pytestmark = pytest.mark.anyio


def error_of(response: httpx.Response, status: int, code: str) -> str:
    """The message of an error answer, checked to be exactly the one shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code
    return body["error"]["message"]


@pytest.mark.parametrize(("body", "named"), [
    ({}, "text: required"),
    ({"text": 3}, "text: Input should be a valid string"),
    ({"text": "x", "styel": "reddit"}, "styel: Extra inputs are not permitted"),
    ({"text": "x", "threshold": 1.5}, "threshold: Input should be less than or equal to 1"),
    ({"text": "x", "threshold": "high"}, "threshold: Input should be a valid number"),
    ({"text": "x", "threshold": "0.5"}, "threshold: Input should be a valid number"),  # strict: no strings
    ({"text": "x", "threshold": False}, "threshold: Input should be a valid number"),  # nor booleans
    ([1, 2], "body: Input should be a valid dictionary"),
])
async def test_a_bad_field_is_a_422_that_names_it(body: object, named: str, stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        message = error_of(await client.post("/v1/annotate", json=body), 422, "invalid_request")
    assert named in message


async def test_an_unknown_format_or_style_is_a_422_listing_the_allowed_values(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        response = await client.post("/v1/redact", json={"text": "x", "format": "md", "style": "spoiler"})
    message = error_of(response, 422, "invalid_request")
    assert "format: Input should be 'text', 'markdown' or 'html'" in message
    assert "style: Input should be 'block', 'label', 'reddit', 'discord', 'bbcode' or 'html'" in message


async def test_a_bad_batch_item_is_named_by_its_place(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        bad = await client.post("/v1/annotate/batch", json={"reviews": [{"text": "a"}, {"text": "b", "format": "rtf"}]})
        empty = await client.post("/v1/annotate/batch", json={"reviews": []})
    assert "reviews[1].format: Input should be" in error_of(bad, 422, "invalid_request")
    assert "reviews: List should have at least 1 item" in error_of(empty, 422, "invalid_request")


async def test_invalid_json_is_a_422(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        response = await client.post("/v1/check", content=b'{"text": ', headers={"content-type": "application/json"})
    assert "the body is not valid JSON" in error_of(response, 422, "invalid_request")


async def test_a_body_that_is_not_utf8_is_a_400(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        response = await client.post("/v1/annotate", content=b'{"text": "caf\xe9"}',
                                     headers={"content-type": "application/json"})
    assert "not valid UTF-8 (byte 13)" in error_of(response, 400, "invalid_utf8")
    assert stub.batches == [["The service is warming up."]]  # nothing of it was scored


async def test_text_with_an_unpaired_surrogate_is_a_400_naming_the_field(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        body = b'{"reviews": [{"text": "ok"}, {"text": "a\\ud800"}]}'
        response = await client.post("/v1/annotate/batch", content=body, headers={"content-type": "application/json"})
    assert "reviews[1].text: not valid UTF-8 text (an unpaired surrogate at character 1)" in \
        error_of(response, 400, "invalid_utf8")


async def test_a_body_that_is_not_json_is_a_415(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        response = await client.post("/v1/annotate", content=b"text=He dies.",
                                     headers={"content-type": "application/x-www-form-urlencoded"})
    assert "Content-Type: application/json" in error_of(response, 415, "unsupported_media_type")


async def test_unknown_paths_and_methods_answer_in_the_shape(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        missing = await client.get("/v2/annotate")
        wrong = await client.get("/v1/annotate")
    assert error_of(missing, 404, "not_found") == "no such endpoint: GET /v2/annotate"
    assert error_of(wrong, 405, "method_not_allowed") == "/v1/annotate does not take GET"


async def test_a_full_queue_is_a_503_with_retry_after(stub: StubDetector) -> None:
    app = app_of(stub, max_queued_sentences=2)
    async with serving(app) as client:
        engine = service_of(app).engine
        busy = await holding_the_worker(client, stub)
        queued = asyncio.create_task(client.post("/v1/annotate", json={"text": "One. Two."}))
        await until(lambda: engine.queued_sentences == 2, "the second request to queue")
        refused = await client.post("/v1/annotate", json={"text": "Three."})
        stub.gate.set()
        answered = [await busy, await queued]
    assert "busy" in error_of(refused, 503, "overloaded")
    assert refused.headers["retry-after"] == "1"
    assert [r.status_code for r in answered] == [200, 200]


async def test_a_broken_model_is_a_503_and_health_says_not_ready(stub: StubDetector) -> None:
    async with serving(app_of(stub)) as client:
        stub.fail = True
        failed = await client.post("/v1/annotate", json={"text": "He dies."})
        health = await client.get("/healthz")
        later = await client.post("/v1/redact", json={"text": "Fine."})
    assert "the model broke" in error_of(failed, 503, "not_ready")
    assert failed.headers["retry-after"] == "5"
    assert "the model broke" in error_of(health, 503, "not_ready")
    error_of(later, 503, "not_ready")


async def test_an_unexpected_failure_is_a_500_without_details(stub: StubDetector,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail /srv/secret")

    monkeypatch.setattr(operations, "annotate", broken)
    async with serving(app_of(stub), raise_app_exceptions=False) as client:
        response = await client.post("/v1/annotate", json={"text": "x"})
    message = error_of(response, 500, "internal")
    assert "/srv/secret" not in message and "log" in message


async def test_the_tiny_model_answers_errors_in_the_same_shape(tiny_detector: Detector) -> None:
    async with serving(app_of(tiny_detector, max_bytes=100)) as client:
        too_large = await client.post("/v1/annotate", json={"text": "x" * 200})
    assert json.loads(too_large.text)["error"]["code"] == "too_large" and too_large.status_code == 413
