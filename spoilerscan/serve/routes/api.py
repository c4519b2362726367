"""The ``/v1`` API: annotate, redact and check one text, annotate many, and what model answers.

Every scoring call goes through :mod:`spoilerscan.service.operations` on the app's engine, so
concurrent requests are scored together by its worker and each answer is the command's output
for the same text and options: annotate is ``scan``'s view of the text, redact is ``redact``'s
output byte for byte, check is ``check --format json`` of the one text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request

from spoilerscan import __version__
from spoilerscan.check.formats import as_dict
from spoilerscan.check.gate import Report
from spoilerscan.model.detect import Annotation
from spoilerscan.reading.inputs import larger_than
from spoilerscan.render.findings import findings
from spoilerscan.serve import schemas
from spoilerscan.serve.errors import ApiError, error_responses, not_ready
from spoilerscan.serve.state import Service
from spoilerscan.service import operations

# The token is checked by the request guard, from the headers, before the body is read (serve.auth).
router = APIRouter(prefix="/v1", tags=["v1"], responses=error_responses(400, 401, 408, 413, 422, 503))
T = TypeVar("T")


def service_of(request: Request) -> Service:
    service: Service | None = getattr(request.app.state, "service", None)
    if service is None:
        raise not_ready("the model is loading")
    return service


def annotation_body(annotation: Annotation) -> dict[str, Any]:
    """``scan``'s findings of the text (without a file name), each sentence with its block and kind."""
    body = findings("", annotation)
    del body["file"]
    for entry, sentence in zip(body["sentences"], annotation.sentences, strict=True):
        entry.update(block=sentence.block, kind=sentence.kind.value, known=sentence.known)
    return body


def within_input_size(service: Service, text: str, where: str = "text") -> None:
    """Refuse a text over the config's ``max-input-size`` (5 MiB by default), as the commands refuse such a
    file, before it is read: ``--max-bytes`` bounds the body, this each text of it."""
    limit = service.runtime.settings.max_input_size
    if larger_than(text, limit):
        raise ApiError(413, "input_too_large", f"{where}: larger than the maximum input size ({limit:,} bytes); "
                       "raise it with max-input-size in [tool.spoilerscan] of the server's config")


async def all_or_none(coroutines: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run these together; the first failure cancels the rest and is raised as it is."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in coroutines]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


@router.post("/annotate", response_model=schemas.Annotation)
async def annotate(body: schemas.AnnotateRequest, request: Request) -> dict[str, Any]:
    """Every sentence of the text with its offsets, score and whether it is a spoiler (as ``scan``)."""
    service = service_of(request)
    within_input_size(service, body.text)
    annotation = await operations.annotate(service.engine, service.project, body.text, body.format, body.threshold)
    return annotation_body(annotation)


@router.post("/redact", response_model=schemas.Redaction)
async def redact(body: schemas.RedactRequest, request: Request) -> dict[str, Any]:
    """The text with its spoiler sentences hidden in ``style``: ``redact``'s output, byte for byte."""
    service = service_of(request)
    within_input_size(service, body.text)
    text, annotation = await operations.redact(service.engine, service.project, body.text, body.format, body.style,
                                               body.threshold)
    return {"text": text, "style": body.style, "spoilers": len(annotation.spoilers),
            "threshold": annotation.threshold}


@router.post("/check", response_model=schemas.CheckReport)
async def check(body: schemas.CheckRequest, request: Request) -> dict[str, Any]:
    """``check --format json`` of the text: unmarked spoilers as findings, and whether it passes.

    The thresholds, the markup that counts as marked and the allowed phrases are the server's
    (--threshold, --fail-threshold, --config): a publish gate's policy is not the client's to choose.
    """
    service = service_of(request)
    within_input_size(service, body.text)
    project = service.project
    checked = await operations.check(service.engine, project, body.text, body.format, body.name)
    report = Report([checked], project.check_threshold, project.fail_threshold, project.styles, gate=project.gate)
    return {**as_dict(report), "passed": not report.failing}


@router.post("/annotate/batch", response_model=schemas.BatchAnnotation)
async def annotate_batch(body: schemas.BatchRequest, request: Request) -> dict[str, Any]:
    """Annotate many texts in one call (at most 1000; the body limit applies to the whole call)."""
    service = service_of(request)
    for number, review in enumerate(body.reviews):
        within_input_size(service, review.text, f"reviews[{number}].text")
    annotations = await all_or_none([
        operations.annotate(service.engine, service.project, review.text, review.format, review.threshold)
        for review in body.reviews])
    return {"results": [annotation_body(annotation) for annotation in annotations]}


@router.get("/model", response_model=schemas.ModelInfo)
def model(request: Request) -> dict[str, Any]:
    """The model answering, its thresholds as this server applies them, and the engine's counters."""
    service = service_of(request)
    detector, project, engine = service.detector, service.project, service.engine
    stats = engine.stats
    return {
        "name": service.model_name, "version": __version__, "precision": detector.precision,
        "threshold": project.threshold, "check_threshold": project.check_threshold,
        "fail_threshold": project.fail_threshold, "model_threshold": detector.threshold,
        "model_fail_threshold": detector.fail_threshold, "config": service.config_name,
        "adapter": None if service.settings.adapter is None else service.settings.adapter.name,
        "max_bytes": service.settings.max_bytes,
        "engine": {"jobs": stats.jobs, "sentences": stats.sentences, "batches": stats.batches,
                   "skipped": stats.skipped, "largest_batch": stats.largest_batch,
                   "queued_sentences": engine.queued_sentences,
                   "requests_in_flight": request.app.state.traffic.in_flight},
    }
