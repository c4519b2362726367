"""One error type, one JSON shape: every failure the service answers is ``{"error": {"code", "message"}}``.

:class:`ApiError` carries the status and code; the handlers installed by :func:`install` turn it,
FastAPI's validation errors, Starlette's HTTP errors (404, 405) and the engine's ``Overloaded`` and
``NotReady`` into that shape, so a client reads every answer the same way. The body limit, which
answers before FastAPI sees the request, builds its answer with :func:`error_response` too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from spoilerscan.serve.schemas import ErrorBody
from spoilerscan.service.engine import NotReady, Overloaded, TooManySentences

INVALID_UTF8 = "invalid_utf8"  # the pydantic error type of text with unpaired surrogates
RETRY_OVERLOADED_SECONDS = 1
RETRY_NOT_READY_SECONDS = 5
log = logging.getLogger("spoilerscan.serve")

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 408: "request_timeout", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid_request", 429: "too_many_requests", 500: "internal", 503: "unavailable"}


_MEANINGS = {400: "The body is not valid UTF-8, or its text holds an unpaired surrogate.",
             401: "A bearer token is needed (the server was started with --token), or it is wrong.",
             408: "The body did not arrive within the server's --body-timeout.",
             413: "The body is over the server's --max-bytes, a text over its max-input-size, or its texts over its "
                  "sentence limit.",
             422: "A field is missing, unknown or invalid; the message names it (and the allowed values).",
             503: "Busy (too much work waiting), past --request-timeout, shutting down, or not ready; "
                  "retry after Retry-After seconds."}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of the errors a route can answer, all of them in the one shape."""
    return {status: {"model": ErrorBody, "description": _MEANINGS[status]} for status in statuses}


class ApiError(Exception):
    """A failure answered with ``status`` and ``{"error": {"code": code, "message": message}}``."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=dict(headers or {}))


def overloaded(message: str) -> ApiError:
    return ApiError(503, "overloaded", f"the service is busy ({message}); retry shortly",
                    {"Retry-After": str(RETRY_OVERLOADED_SECONDS)})


def not_ready(message: str) -> ApiError:
    return ApiError(503, "not_ready", f"the service is not ready: {message}",
                    {"Retry-After": str(RETRY_NOT_READY_SECONDS)})


def _where(location: Sequence[Any]) -> str:
    """A field's place as a client wrote it: ``text``, ``reviews[2].format`` (the leading "body" dropped)."""
    parts = list(location[1:] if location and location[0] == "body" else location)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "body"


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """Every problem of a request body, each with the field it is in, in one line."""
    messages = []
    for problem in errors:
        if problem.get("type") == "json_invalid":
            reason = (problem.get("ctx") or {}).get("error", "")
            messages.append(f"the body is not valid JSON ({reason})" if reason else "the body is not valid JSON")
        elif problem.get("type") == "missing":
            messages.append(f"{_where(problem.get('loc', ()))}: required")
        else:
            messages.append(f"{_where(problem.get('loc', ()))}: {problem.get('msg', 'invalid')}")
    return "; ".join(dict.fromkeys(messages)) or "invalid request"


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(error.status, error.code, error.message, error.headers)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = list(error.errors())
    if any(problem.get("type") == INVALID_UTF8 for problem in problems):
        bad = [p for p in problems if p.get("type") == INVALID_UTF8]
        return error_response(400, INVALID_UTF8, validation_message(bad))
    return error_response(422, "invalid_request", validation_message(problems))


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    message = error.detail if isinstance(error.detail, str) else "request failed"
    if error.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    elif error.status_code == 405:
        message = f"{request.url.path} does not take {request.method}"
    return error_response(error.status_code, _STATUS_CODES.get(error.status_code, "error"), message,
                          error.headers)


async def _overloaded(request: Request, error: Exception) -> JSONResponse:
    return await _api_error(request, overloaded(str(error)))


async def _too_many_sentences(request: Request, error: Exception) -> JSONResponse:
    return error_response(413, "too_many_sentences", f"the request's texts hold too many sentences ({error}); "
                          "send fewer or shorter texts")


async def _not_ready(request: Request, error: Exception) -> JSONResponse:
    return await _api_error(request, not_ready(str(error)))


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal", "internal error (the server's log has the details)")


def install(app: FastAPI) -> None:
    """Answer every error in the one shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Overloaded, _overloaded)
    app.add_exception_handler(NotReady, _not_ready)
    app.add_exception_handler(TooManySentences, _too_many_sentences)
    app.add_exception_handler(Exception, _unexpected)
