"""The bearer token: with ``--token`` every ``/v1`` call must send ``Authorization: Bearer <token>``.

The comparison takes the same time whatever the sent token shares with the right one
(:func:`hmac.compare_digest`), so the token cannot be guessed a character at a time.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from spoilerscan.serve.errors import ApiError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="spoilerscan"'}


def require_token(request: Request) -> None:
    """A dependency of the /v1 routes: 401 unless the request carries the service's token (if it has one)."""
    expected: str | None = request.app.state.settings.token
    if expected is None:
        return
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not sent.strip():
        raise ApiError(401, "unauthorized", "this service needs 'Authorization: Bearer <token>'", CHALLENGE)
    if not hmac.compare_digest(sent.strip().encode("utf-8"), expected.encode("utf-8")):
        raise ApiError(401, "unauthorized", "wrong bearer token", CHALLENGE)
