"""The /v1 API over the tiny model: every endpoint, and answers equal to the commands' for the same text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoilerscan import __version__
from spoilerscan.cli import app as cli_app
from spoilerscan.model.detect import Detector
from spoilerscan.reading.markup import RedactStyle
from tests.serve.conftest import app_of, serving

pytestmark = pytest.mark.anyio
REPO = Path(__file__).parents[3]
EXAMPLES = sorted((REPO / "examples").glob("*.md"))
runner = CliRunner()


def cli(*args: object) -> str:
    result = runner.invoke(cli_app, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def scan_of(example: Path, model: Path, *options: object) -> dict:
    return json.loads(cli("scan", example, "-m", model, "-q", *options))["reviews"][0]


def cut(detector: Detector, text: str, share: float) -> float:
    """A threshold that flags about ``share`` of the text's sentences (the tiny model's scores are arbitrary
    and tiny: scan's six decimals show most as 0.0, so they are taken unrounded from the detector)."""
    ordered = sorted(s.score for s in detector.annotate(text, fmt="markdown").sentences)
    return ordered[int(len(ordered) * (1 - share))]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
async def test_annotate_is_scans_view_of_the_text(example: Path, tiny_detector: Detector, tiny_model_dir: Path) -> None:
    text = example.read_text(encoding="utf-8")
    threshold = cut(tiny_detector, text, 0.5)
    async with serving(app_of(tiny_detector, threshold=threshold)) as client:
        response = await client.post("/v1/annotate", json={"text": text, "format": "markdown"})
    assert response.status_code == 200, response.text
    body = response.json()
    scanned = scan_of(example, tiny_model_dir, "-t", threshold)
    assert 0 < body["summary"]["spoilers"] < body["summary"]["sentences"]
    assert [{k: s[k] for k in ("index", "start", "end", "text", "score", "spoiler")} for s in body["sentences"]] == \
        scanned["sentences"]
    assert body["summary"] == scanned["summary"] and body["threshold"] == scanned["threshold"]
    for sentence in body["sentences"]:  # offsets index the submitted text, in characters
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert sentence["kind"] in {"paragraph", "heading", "list_item", "quote"} and sentence["known"] is None


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
async def test_redact_is_the_commands_output_byte_for_byte(example: Path, tiny_detector: Detector,
                                                           tiny_model_dir: Path) -> None:
    text = example.read_text(encoding="utf-8")
    threshold = cut(tiny_detector, text, 0.5)
    async with serving(app_of(tiny_detector)) as client:
        for style in RedactStyle:
            response = await client.post("/v1/redact", json={"text": text, "format": "markdown", "style": style.value,
                                                             "threshold": threshold})
            assert response.status_code == 200, response.text
            body = response.json()
            expected = cli("redact", example, "-m", tiny_model_dir, "-t", threshold, "-s", style.value, "-q")
            assert body["text"].encode("utf-8") == expected.encode("utf-8"), style
            assert body["text"] != text and body["style"] == style.value and body["spoilers"] > 0


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
async def test_check_is_check_format_json_of_the_text(example: Path, tiny_detector: Detector, tiny_model_dir: Path,
                                                      tmp_path: Path) -> None:
    text = example.read_text(encoding="utf-8")
    report_at, fail_at = cut(tiny_detector, text, 0.6), cut(tiny_detector, text, 0.3)
    config = tmp_path / "pyproject.toml"
    config.write_text(f'[tool.spoilerscan]\nthreshold = {report_at!r}\nstyle = ["reddit", "warning"]\n'
                      'allowed-phrases = ["Bruce Willis"]\n', encoding="utf-8")
    async with serving(app_of(tiny_detector, config=config, fail_threshold=fail_at)) as client:
        response = await client.post("/v1/check", json={"text": text, "format": "markdown", "name": str(example)})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = json.loads(cli("check", example, "-m", tiny_model_dir, "--config", config, "--fail-threshold", fail_at,
                              "-f", "json", "-q"))
    assert body.pop("passed") is False
    assert body == expected
    assert {"error", "warning"} <= {f["severity"] for f in body["findings"]}  # both kinds were compared


async def test_check_passes_a_review_without_a_failing_finding(tiny_detector: Detector) -> None:
    """(The tiny model has no review gate; the shipped model's is in the next test.)"""
    async with serving(app_of(tiny_detector, threshold=1.0, fail_threshold=1.0)) as client:
        response = await client.post("/v1/check", json={"text": "A calm film. Nothing happens."})
    body = response.json()
    assert response.status_code == 200 and body["passed"] is True and body["findings"] == []
    assert body["files"] == [{"path": "review", "sentences": 2, "findings": 0, "fail_threshold": 1.0}]


@pytest.mark.slow
async def test_check_with_the_shipped_models_review_gate_is_the_commands(shipped_model_dir: Path) -> None:
    example = REPO / "examples" / "unmarked-spoiler.md"
    detector = Detector.load(shipped_model_dir)
    async with serving(app_of(detector)) as client:
        response = await client.post("/v1/check", json={"text": example.read_text(encoding="utf-8"),
                                                        "format": "markdown", "name": str(example)})
    body = response.json()
    expected = json.loads(cli("check", example, "-f", "json", "-q"))
    assert body.pop("passed") is False and body == expected
    assert body["review_gate"] is not None and body["summary"]["errors"] == 1


async def test_batch_annotates_each_text_as_annotate_does(tiny_detector: Detector) -> None:
    texts = [example.read_text(encoding="utf-8") for example in EXAMPLES]
    reviews = [{"text": texts[0], "format": "markdown"}, {"text": texts[1], "format": "text", "threshold": 0.0},
               {"text": ""}]
    async with serving(app_of(tiny_detector)) as client:
        batch = await client.post("/v1/annotate/batch", json={"reviews": reviews})
        singles = [(await client.post("/v1/annotate", json=review)).json() for review in reviews]
    assert batch.status_code == 200, batch.text
    assert batch.json()["results"] == singles
    assert all(s["spoiler"] for s in singles[1]["sentences"]) and singles[2]["sentences"] == []


async def test_a_threshold_in_the_request_overrides_the_servers(tiny_detector: Detector) -> None:
    text = "Fine. He dies at the end."
    async with serving(app_of(tiny_detector, threshold=1.0)) as client:
        default = (await client.post("/v1/annotate", json={"text": text})).json()
        asked = (await client.post("/v1/annotate", json={"text": text, "threshold": 0.0})).json()
    assert default["threshold"] == 1.0 and not any(s["spoiler"] for s in default["sentences"])
    assert asked["threshold"] == 0.0 and all(s["spoiler"] for s in asked["sentences"])


async def test_offsets_count_code_points_with_an_emoji_before_a_spoiler(tiny_detector: Detector) -> None:
    text = "\U0001f47b Spooky. Caf\u00e9 owner dies."
    async with serving(app_of(tiny_detector, threshold=0.0)) as client:
        body = (await client.post("/v1/annotate", json={"text": text})).json()
    last = body["sentences"][-1]
    assert (last["start"], last["end"]) == (10, 26) and text[10:26] == "Caf\u00e9 owner dies."
    assert len(text[:10].encode("utf-16-le")) // 2 == 11  # a browser counts one more unit before it


async def test_model_names_the_model_its_thresholds_and_the_engines_counters(tiny_detector: Detector,
                                                                             tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.spoilerscan]\nfail-threshold = 0.9\n", encoding="utf-8")
    async with serving(app_of(tiny_detector, config=config, threshold=0.25, max_bytes=5000)) as client:
        await client.post("/v1/annotate", json={"text": "One. Two."})
        body = (await client.get("/v1/model")).json()
    assert body["name"] == "model" and body["version"] == __version__ and body["precision"] in {"fp32", "int8"}
    assert body["threshold"] == 0.25 and body["check_threshold"] == 0.25 and body["fail_threshold"] == 0.9
    assert body["model_threshold"] == tiny_detector.threshold and body["config"] == "pyproject.toml"
    assert body["max_bytes"] == 5000 and "code points" in body["offsets"]
    assert body["engine"]["jobs"] >= 2 and body["engine"]["sentences"] >= 3  # the warm-up, then two sentences
    assert body["engine"]["requests_in_flight"] == 1  # this one
    assert str(tmp_path) not in json.dumps(body)  # no server paths


async def test_scoring_answers_say_where_their_time_went(tiny_detector: Detector) -> None:
    async with serving(app_of(tiny_detector)) as client:
        scored = await client.post("/v1/annotate", json={"text": "He dies. Fine."})
        health = await client.get("/healthz")
    assert float(scored.headers["x-queue-time"]) >= 0 and float(scored.headers["x-inference-time"]) >= 0
    assert "x-queue-time" not in health.headers
