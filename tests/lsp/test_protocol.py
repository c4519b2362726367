"""Protocol errors answered as JSON-RPC and LSP say, by the real server on stdio: -32700 for a body
that is not JSON, -32600 for what is no request, -32602 for bad params (naming them), -32002 before
``initialize``, and ``exit`` ending the process at once, whatever it was doing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.helpers.lspclient import server_env, spoilerscan_script


def framed(message: Any) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def replies_of(stdout: bytes) -> list[dict[str, Any]]:
    replies = []
    rest = stdout
    while rest:
        header, _, rest = rest.partition(b"\r\n\r\n")
        length = int(dict(line.split(b": ", 1) for line in header.split(b"\r\n"))[b"Content-Length"])
        replies.append(json.loads(rest[:length]))
        rest = rest[length:]
    return replies


def hover(msg_id: int, text_document: Any, line: int = 0) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover",
            "params": {"textDocument": text_document, "position": {"line": line, "character": 0}}}


def test_malformed_messages_get_the_specified_errors(tmp_path: Path, tiny_model_dir: Path) -> None:
    document = {"uri": (tmp_path / "review.md").as_uri()}
    messages: list[Any] = [
        hover(1, document),  # before initialize
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": document["uri"], "languageId": "markdown", "version": 1, "text": "He dies."}}},  # dropped
        b"{this is not json",
        {"jsonrpc": "2.0", "id": 2, "method": 5},
        [1, 2],
        {"id": 3, "method": "shutdown"},
        {"jsonrpc": "2.0", "id": 10, "method": "initialize", "params": {"capabilities": {}, "processId": None,
                                                                         "rootUri": tmp_path.as_uri()}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        hover(11, document, line=-1),
        hover(12, 5),
        hover(13, document),
        {"jsonrpc": "2.0", "id": 14, "method": "shutdown"},
        hover(15, document),
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    done = subprocess.run([spoilerscan_script(), "lsp", "--model", str(tiny_model_dir)],
                          input=b"".join(framed(m) for m in messages), capture_output=True, timeout=120,
                          env=server_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    replies = [r for r in replies_of(done.stdout) if "id" in r]  # notifications (messages, logs) aside
    errors = {r["id"]: r["error"]["code"] for r in replies if "error" in r}
    results = {r["id"]: r["result"] for r in replies if "result" in r}
    assert errors == {1: -32002, None: -32600, 2: -32600, 3: -32600, 11: -32602, 12: -32602, 15: -32600}
    assert [r["error"]["code"] for r in replies if r["id"] is None] == [-32700, -32600]
    assert set(results) == {10, 13, 14} and results[13] is None and results[14] is None
    messages_by_id = {r["id"]: r["error"]["message"] for r in replies if "error" in r and r["id"] is not None}
    assert "Position.line should be in range" in messages_by_id[11] and "$.params.position" in messages_by_id[11]
    assert "$.params.text_document" in messages_by_id[12]


def test_exit_ends_the_process_while_a_long_document_is_being_checked(tmp_path: Path, tiny_model_dir: Path) -> None:
    review = "\n\n".join(f"Paragraph {n}. The twist is that the hero dies in the end." for n in range(20_000))
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None,
                                                                        "rootUri": tmp_path.as_uri()}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": (tmp_path / "long.md").as_uri(), "languageId": "markdown", "version": 1, "text": review}}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    done = subprocess.run([spoilerscan_script(), "lsp", "--model", str(tiny_model_dir)],
                          input=b"".join(framed(m) for m in messages), capture_output=True, timeout=120,
                          env=server_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert [r.get("id") for r in replies_of(done.stdout) if "id" in r] == [1, 2]
