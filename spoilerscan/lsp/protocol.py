"""JSON-RPC and LSP errors answered as the specifications say, on top of pygls's protocol.

pygls logs and drops what it cannot read, so a client waits forever for the answer to a request
with bad params. Here every request gets an answer:

- a body that is not JSON (or not UTF-8): -32700 *parse error*, with ``id: null``;
- JSON that is no JSON-RPC 2.0 request or notification (no ``method``, an ``id`` that is neither a
  number nor a string, ``jsonrpc`` not "2.0", a batch array): -32600 *invalid request*;
- a request whose params do not have the method's shape (``line: -1``, ``textDocument: 5``):
  -32602 *invalid params*, naming the field (a notification with bad params is logged and dropped);
- a request before ``initialize``: -32002 *server not initialized*; a notification then is dropped,
  except ``exit`` (LSP); a request after ``shutdown``: -32600.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from cattrs import ClassValidationError, transform_error
from cattrs.v import format_exception
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)
NEEDS_NO_INITIALIZE = frozenset({types.INITIALIZE, types.EXIT})


@dataclass(frozen=True)
class Unreadable:
    """A message pygls could not structure: what is known of it, and the error to answer with."""

    msg_id: Any
    method: Any
    error: JsonRpcException


def _valid_id(msg_id: Any) -> bool:
    return isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)


def _described(error: BaseException, type_: Any) -> str:
    """A field's problem: a validator's own words (``Position.line should be in range …``), else cattrs's."""
    if isinstance(error, ValueError) and not isinstance(error, (KeyError, TypeError)) and str(error):
        return str(error)
    return format_exception(error, type_)


def _field_problems(error: BaseException) -> str:
    """The fields a ClassValidationError names, in one line (``… @ $.params.position``)."""
    cause = error.__cause__ if isinstance(error.__cause__, ClassValidationError) else error
    if isinstance(cause, ClassValidationError):
        return "; ".join(transform_error(cause, path="$", format_exception=_described))[:1000]
    return str(error)[:1000]


class SpoilerscanProtocol(LanguageServerProtocol):
    """pygls's language server protocol, answering malformed messages with the specified errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        if "jsonrpc" not in data:  # an inner object (the object hook is called for every one) or no JSON-RPC
            return data
        if data.get("jsonrpc") != self.VERSION or ("method" in data and not isinstance(data["method"], str)) or \
                ("id" in data and "method" in data and not _valid_id(data["id"])):
            return Unreadable(data.get("id"), data.get("method"), JsonRpcInvalidRequest(
                message="not a JSON-RPC 2.0 request: it needs jsonrpc \"2.0\", a string method and a number or "
                        "string id"))
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            problem = _field_problems(error)
            return Unreadable(data.get("id"), data.get("method"),
                              JsonRpcInvalidParams(message=f"invalid params for {data.get('method')}: {problem}"))

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Unreadable):
            self._unreadable(message)
            return
        if not hasattr(message, "jsonrpc"):  # an array, a number, an object without jsonrpc
            msg_id = message.get("id") if isinstance(message, dict) else None
            self._refuse(msg_id if _valid_id(msg_id) else None, JsonRpcInvalidRequest(
                message="not a JSON-RPC 2.0 message (a JSON object with jsonrpc \"2.0\" and a method)"))
            return
        method = getattr(message, "method", None)
        is_request = method is not None and getattr(message, "id", None) is not None
        if method == types.INITIALIZE:
            self.initialize_received = True
        elif method is not None and method not in NEEDS_NO_INITIALIZE and not self.initialize_received:
            if is_request:
                self._refuse(message.id, JsonRpcServerNotInitialized(
                    message=f"{method} before initialize: the server is not initialized yet"))
            else:
                log.warning("dropped %s: it came before initialize", method)
            return
        elif is_request and self._shutdown:
            self._refuse(message.id, JsonRpcInvalidRequest(message=f"{method} after shutdown"))
            return
        super().handle_message(message)

    def parse_error(self, error: Exception) -> None:
        """The body of a message was not JSON (the reader's error handler calls this)."""
        self._refuse(None, JsonRpcParseError(message=f"the message is not valid JSON: {error}"[:1000]))

    def _unreadable(self, message: Unreadable) -> None:
        if isinstance(message.method, str) and _valid_id(message.msg_id) and \
                isinstance(message.error, JsonRpcInvalidParams):
            log.warning("%s", message.error.message)
            self._refuse(message.msg_id, message.error)
        elif isinstance(message.error, JsonRpcInvalidRequest):
            self._refuse(message.msg_id if _valid_id(message.msg_id) else None, message.error)
        else:  # a notification with bad params: nobody waits for an answer
            log.warning("dropped a notification: %s", message.error.message)

    def _refuse(self, msg_id: Any, error: JsonRpcException) -> None:
        if msg_id is None:  # pygls leaves out a None id; JSON-RPC wants "id": null
            self._send_raw({"jsonrpc": self.VERSION, "id": None, "error": {"code": error.code,
                                                                            "message": error.message}})
        else:
            self._send_response(msg_id, None, error.to_response_error())

    def _send_raw(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload)
        if self.writer is not None:
            self.writer.write(f"Content-Length: {len(body)}\r\n\r\n{body}".encode(self.CHARSET))
