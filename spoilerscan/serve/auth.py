"""The bearer token: with ``--token`` every ``/v1`` call must send ``Authorization: Bearer <token>``.

It is checked by :mod:`spoilerscan.serve.guard` from the headers, before a byte of the body is
read, so a client without it holds no capacity. The comparison is of bytes, the token as UTF-8
(header bytes as sent, never re-decoded as Latin-1), and takes the same time whatever the sent
token shares with the right one (:func:`hmac.compare_digest`), so it cannot be guessed a character
at a time.
"""

from __future__ import annotations

import hmac

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="spoilerscan"'}


def token_problem(authorization: bytes | None, expected: str | None) -> str | None:
    """Why a request with this Authorization header may not call the API (None: it may)."""
    if expected is None:
        return None
    scheme, _, sent = (authorization or b"").strip().partition(b" ")
    if scheme.lower() != b"bearer" or not sent.strip():
        return "this service needs 'Authorization: Bearer <token>'"
    if not hmac.compare_digest(sent.strip(), expected.encode("utf-8")):
        return "wrong bearer token"
    return None


def authorization_of(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The raw bytes of the Authorization header (the first one)."""
    return next((value for key, value in headers if key.lower() == b"authorization"), None)
