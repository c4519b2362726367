"""How responsive `spoilerscan lsp` stays on a long review: 100 rapid incremental edits to a 200 KB one.

    python benchmarks/lsp_edits.py --reviews ../shared/data/imdb/shawshank-reviews.jsonl

The review is built at run time (never committed) from the texts of --reviews (JSONL with a
"text" field, or CSV with a text/review/Comment column) or, without it, from examples/*.md, to
--size-kb of Markdown, one "## Review N" section per text. A real LSP client (pygls's) starts the
installed `spoilerscan lsp` with the shipped model (or --model), opens the review, waits for its
first diagnostics, then per round types --edits characters (a new sentence in each of five
paragraphs across the document, one incremental didChange per character, --interval-ms apart)
and measures the time from the last edit to the diagnostics of its version. The server's
debounce is its default unless --debounce-ms says otherwise; so the number is what a writer
waits. Beside it: the server's peak RSS (VmHWM) and that of `spoilerscan check` on the same file.
The machine's load average is recorded with the numbers. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from spoilerscan.lsp.positions import Encoding, LineTable

REPO = Path(__file__).resolve().parent.parent
TYPED = "Then it turns out he was dead all along. "  # what each burst types, a character per edit
WAIT_SECONDS = 600.0


def spoilerscan_command() -> list[str]:
    script = Path(sys.executable).parent / "spoilerscan"
    return [str(script)] if script.exists() else [shutil.which("spoilerscan") or "spoilerscan"]


def review_texts(path: Path | None) -> list[str]:
    if path is None:
        return [p.read_text(encoding="utf-8") for p in sorted((REPO / "examples").glob("*.md"))]
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
        return [str(row.get("text") or row.get("review_text") or "") for row in rows if isinstance(row, dict)]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        column = next(c for c in ("text", "review", "review_text", "Comment", "sentence") if c in (reader.fieldnames
                                                                                                   or []))
        return [row[column] for row in reader]


def build_review(texts: list[str], size_bytes: int) -> str:
    parts = ["# Reviews\n\n"]
    size, index = len(parts[0]), 0
    while size < size_bytes:
        text = texts[index % len(texts)].strip()
        part = f"## Review {index + 1}\n\n{text}\n\n"
        parts.append(part)
        size += len(part.encode("utf-8"))
        index += 1
    return "".join(parts)


def peak_rss_of_check(review: Path, model: Path | None) -> tuple[float, float]:
    """Peak RSS (MB) and wall time of `spoilerscan check` on the review (a child's ru_maxrss)."""
    command = [*spoilerscan_command(), "check", str(review), "-q", "--exit-zero",
               *(["-m", str(model)] if model else [])]
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.perf_counter() - started


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("lsp-edits-benchmark", "1")
        self.published: dict[int, float] = {}  # version -> when its diagnostics arrived
        self.counts: dict[int, int] = {}
        self.arrived = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            if params.version is not None:
                self.published[params.version] = time.perf_counter()
                self.counts[params.version] = len(params.diagnostics)
            self.arrived.set()

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            print(f"server: {params.message}", file=sys.stderr)

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            pass

    async def published_at(self, version: int) -> float:
        async def waiting() -> float:
            while version not in self.published:
                self.arrived.clear()
                if version in self.published:
                    break
                await self.arrived.wait()
            return self.published[version]

        return await asyncio.wait_for(waiting(), WAIT_SECONDS)


async def measure_server(args: argparse.Namespace, review: Path, text: str) -> dict[str, Any]:
    client = Client()
    command = spoilerscan_command()
    await client.start_io(command[0], *command[1:], "lsp", *(["-m", str(args.model)] if args.model else []),
                          cwd=str(review.parent))
    process = client._server  # pygls keeps the process it started here
    assert process is not None
    options: dict[str, Any] = {} if args.debounce_ms is None else {"debounceMs": args.debounce_ms}
    try:
        await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=review.parent.as_uri(), initialization_options=options))
        client.initialized(types.InitializedParams())
        uri = review.as_uri()
        started = time.perf_counter()
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "markdown", 1, text)))
        first = await client.published_at(1) - started
        version = 1
        rounds = []
        targets = [len(text) * k // 6 for k in range(1, 6)]  # five paragraphs spread over the review
        per_target = max(args.edits // len(targets), 1)
        for _ in range(args.rounds):
            sent = 0
            for target in targets:
                at = text.find("\n\n", target)  # the end of the paragraph there
                for character in TYPED[:per_target]:
                    if sent == args.edits:
                        break
                    position = LineTable(text, Encoding.utf16).position(at)
                    version += 1
                    client.text_document_did_change(types.DidChangeTextDocumentParams(
                        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                        [types.TextDocumentContentChangePartial(range=types.Range(position, position),
                                                                text=character)]))
                    text = text[:at] + character + text[at:]
                    at += 1
                    sent += 1
                    await asyncio.sleep(args.interval_ms / 1000)
            last_edit = time.perf_counter()
            done = await client.published_at(version)
            rounds.append({"edits": sent, "after_last_edit_s": done - last_edit,
                           "intermediate_publishes": sum(1 for v in client.published if version - sent < v < version),
                           "diagnostics": client.counts[version]})
        rss = peak_rss_mb(process.pid)
        await client.shutdown_async(None)
        client.exit(None)
        code = await asyncio.wait_for(process.wait(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await client.stop()
    latencies = [r["after_last_edit_s"] for r in rounds]
    return {"first_diagnostics_s": first, "rounds": rounds, "after_last_edit_median_s": statistics.median(latencies),
            "after_last_edit_max_s": max(latencies), "server_peak_rss_mb": rss, "exit_code": code,
            "debounce_ms": args.debounce_ms if args.debounce_ms is not None else "server default"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=Path, default=None, help="JSONL or CSV of review texts [examples/*.md]")
    parser.add_argument("--size-kb", type=float, default=200.0, help="size of the review built from them")
    parser.add_argument("--edits", type=int, default=100, help="incremental edits per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of edits")
    parser.add_argument("--interval-ms", type=float, default=20.0, help="time between two edits (fast typing)")
    parser.add_argument("--debounce-ms", type=float, default=None, help="the server's debounce [its default]")
    parser.add_argument("--model", type=Path, default=None, help="model directory [the shipped model]")
    parser.add_argument("--out", type=Path, default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()
    text = build_review(review_texts(args.reviews), int(args.size_kb * 1024))
    with tempfile.TemporaryDirectory() as folder:
        review = Path(folder) / "review.md"
        review.write_text(text, encoding="utf-8")
        load_before = os.getloadavg()
        check_rss, check_wall = peak_rss_of_check(review, args.model)
        server = asyncio.run(measure_server(args, review, text))
        load_after = os.getloadavg()
    result = {
        "review": {"bytes": len(text.encode("utf-8")), "source": str(args.reviews or "examples/*.md")},
        "server": server,
        "check": {"peak_rss_mb": check_rss, "wall_s": check_wall},
        "rss_over_check_mb": server["server_peak_rss_mb"] - check_rss,
        "machine": {"cpus": os.cpu_count(), "load_average_before": load_before, "load_average_after": load_after,
                    "python": platform.python_version()},
    }
    print(json.dumps(result, indent=2))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
