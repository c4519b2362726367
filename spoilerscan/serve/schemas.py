"""Request and response bodies of the ``/v1`` API (the OpenAPI schema at ``/openapi.json`` is made from them).

Offsets (``start``, ``end``) count characters of the submitted text: Unicode code points, as
Python indexes a string; not bytes, and not the UTF-16 units a JavaScript string counts (an emoji
is one character here, two units there). Unknown fields are refused, so a misspelt option is a 422
naming it rather than a silent default; values have their JSON type (a threshold is a number, never
``"0.5"`` or ``false``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from spoilerscan.reading.document import BlockKind
from spoilerscan.reading.markup import RedactStyle

MAX_BATCH_REVIEWS = 1000
OFFSETS = "Offsets count characters (Unicode code points) of the submitted text, not bytes or UTF-16 units."


class ReviewFormat(StrEnum):
    """How to read the text's structure: plain text, Markdown (CommonMark) or HTML."""

    text = "text"
    markdown = "markdown"
    html = "html"


def _encodable(text: str) -> str:
    """Text that UTF-8 can carry: JSON's ``\\ud800`` escapes can smuggle in unpaired surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PydanticCustomError("invalid_utf8", "not valid UTF-8 text (an unpaired surrogate at character "
                                  "{position})", {"position": error.start}) from None
    return text


ReviewText = Annotated[str, AfterValidator(_encodable), Field(description="The review. " + OFFSETS)]
# Strict: a JSON number only (an integer too), never a boolean or a string ("0.5", false pass lax mode).
Threshold = Annotated[float, Field(ge=0.0, le=1.0, strict=True, allow_inf_nan=False,
                                   description="Spoiler score cut-off, a number from 0 to 1.")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnnotateRequest(_Request):
    text: ReviewText
    format: ReviewFormat = ReviewFormat.text
    threshold: Threshold | None = Field(None, description="A sentence from this score is a spoiler "
                                        "(default: the server's --threshold, else the model's own).")


class RedactRequest(AnnotateRequest):
    style: RedactStyle = Field(RedactStyle.block, description="How to hide a spoiler sentence, as redact --style.")


class CheckRequest(_Request):
    text: ReviewText
    format: ReviewFormat = ReviewFormat.text
    name: str = Field("review", min_length=1, max_length=1000,
                      description="The name findings carry as their path (nothing is read from it).")


class BatchRequest(_Request):
    reviews: list[AnnotateRequest] = Field(min_length=1, max_length=MAX_BATCH_REVIEWS)


class Sentence(BaseModel):
    """One sentence of the review, as ``scan`` reports it, with its block."""

    index: int
    start: int = Field(description="First character of the sentence. " + OFFSETS)
    end: int = Field(description="One past its last character. " + OFFSETS)
    text: str
    score: float = Field(description="Spoiler probability, rounded to 6 places.")
    spoiler: bool
    block: int = Field(description="Which block (paragraph, heading, list item, …) of the review it is in.")
    kind: BlockKind
    known: str | None = Field(None, description="The known spoiler of the work it restates, if any.")


class AnnotationSummary(BaseModel):
    sentences: int
    spoilers: int
    max_score: float


class Annotation(BaseModel):
    threshold: float
    sentences: list[Sentence]
    summary: AnnotationSummary


class Redaction(BaseModel):
    text: str = Field(description="The review with each spoiler sentence hidden: redact's output, byte for byte.")
    style: RedactStyle
    spoilers: int
    threshold: float


class Finding(BaseModel):
    path: str
    line: int = Field(description="1-based line, counted in characters like every position here.")
    column: int = Field(description="1-based column in characters (code points).")
    end_line: int
    end_column: int = Field(description="Exclusive.")
    start: int = Field(description=OFFSETS)
    end: int
    score: float
    severity: Literal["error", "warning"]
    text: str


class CheckedFile(BaseModel):
    path: str
    sentences: int
    findings: int
    fail_threshold: float = Field(description="The cut this text failed from (the review gate's for its length, or its "
                                  "top sentence's score where that sentence stands out: see docs/check.md).")


class ReviewGateContrast(BaseModel):
    """A short review also fails when its highest sentence's logit exceeds its other sentences' median by this."""

    margin: float
    min_sentences: int
    max_sentences: int


class ReviewGateInfo(BaseModel):
    """The model's length-aware fail cut, where it replaced a flat fail threshold (see docs/check.md)."""

    slope: float
    intercept: float
    max_sentences: int
    floor: float
    contrast: ReviewGateContrast | None = None


class CheckSummary(BaseModel):
    files: int
    sentences: int
    findings: int
    errors: int
    warnings: int
    unreadable: list[str]


class CheckReport(BaseModel):
    """``check --format json`` of the one text, and whether it passes (no finding at the fail threshold)."""

    version: int
    threshold: float
    fail_threshold: float
    review_gate: ReviewGateInfo | None
    findings: list[Finding]
    files: list[CheckedFile]
    summary: CheckSummary
    passed: bool


class BatchAnnotation(BaseModel):
    results: list[Annotation] = Field(description="One per review, in the order sent.")


class Health(BaseModel):
    status: Literal["ready"]


class EngineCounters(BaseModel):
    jobs: int
    sentences: int
    batches: int
    skipped: int = Field(description="Jobs whose client went away before they were scored.")
    largest_batch: int
    queued_sentences: int
    requests_in_flight: int


class ModelInfo(BaseModel):
    name: str
    version: str = Field(description="spoilerscan's version.")
    precision: str
    threshold: float = Field(description="Annotate and redact flag a sentence from this score.")
    check_threshold: float = Field(description="Check reports a finding from this score.")
    fail_threshold: float = Field(description="Check fails from this score.")
    model_threshold: float
    model_fail_threshold: float
    config: str | None = Field(description="The name of the config file whose [tool.spoilerscan] applies.")
    adapter: str | None = Field(description="The name of the site adapter file applied to the model, if any.")
    max_bytes: int
    offsets: str = OFFSETS
    engine: EngineCounters


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The shape of every error answer."""

    error: ErrorDetail
