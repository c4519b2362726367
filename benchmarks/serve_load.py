"""Load test of `spoilerscan serve` beside `spoilerscan scan` of the same reviews, in one run.

    python benchmarks/serve_load.py --reviews ../shared/data/imdb/shawshank-reviews.jsonl \\
        --rss-reviews ../shared/data/tweets/got-manual.jsonl

- scan: `spoilerscan scan --jsonl-input` of the reviews, its start-up (a run of one review) taken
  out: the steady sentences/s of the command; in each of --rounds rounds, scan and then 32
  clients sending the same reviews once (a shared machine's load drifts: the bar takes the
  median of the rounds' ratios);
- serve: one `spoilerscan serve` on a free loopback port; 1, 8 and 32 concurrent clients, each on
  its own keep-alive connection, POST /v1/annotate the reviews in turn: requests/s, sentences/s
  (sentences the answers report), p50/p99 latency, errors (any answer but 200);
- a 30-sentence review (a typical real review cut after its 30th sentence): its latency alone, and its
  p99 while 7 other clients send the other reviews (8 clients in all), in turns, each round;
- memory: the server's peak RSS (VmHWM) before and after 10,000 more requests at 32 clients
  (texts of --rss-reviews, default the same reviews).
The clients are a small asyncio HTTP/1.1 client in this process, so that the load generator costs
the shared CPUs little; its CPU time is reported. Reviews are read at run time (never committed):
a JSONL file of {"text": …} or Goodreads {"review_sentences": [[label, sentence], …]} records, or
review files (default: examples/). Every phase is bounded in requests and seconds; the server
process is killed by its pid in a `finally`. Results: JSON (--out) and a table on stdout.

`--hostile` runs the hostile runs instead (trickling connections, one 1 MB request among 8 clients,
SIGTERM under that load): see benchmarks/serve_hostile.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STARTUP = re.compile(r"serving on http://127\.0\.0\.1:(\d+) ")


def spoilerscan_command() -> list[str]:
    script = Path(sys.executable).parent / "spoilerscan"
    return [str(script)] if script.exists() else [shutil.which("spoilerscan") or "spoilerscan"]


def load_texts(path: Path, limit: int) -> list[str]:
    """Review texts from a JSONL file, a review file or a folder of them."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in {".md", ".txt"})
        return [p.read_text(encoding="utf-8") for p in files][:limit]
    if path.suffix != ".jsonl":
        return [path.read_text(encoding="utf-8")]
    texts = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            text = record.get("text") or " ".join(s for _, s in record.get("review_sentences", []))
            if text.strip():
                texts.append(text)
            if len(texts) >= limit:
                break
    return texts


def sentence_spans(text: str) -> list[tuple[int, int]]:
    from spoilerscan.reading.segment import read

    return [(s.start, s.end) for s in read(text).sentences]


def thirty_sentences(texts: list[str]) -> str:
    """A real review cut after its 30th sentence: of the reviews with 30 or more, the one whose first 30
    sentences are closest in mean length to all the reviews' sentences (a typical one, not a list of
    one-word lines, whose latency would say little)."""
    lengths = [[end - start for start, end in sentence_spans(text)] for text in texts]
    typical = statistics.fmean(n for review in lengths for n in review)
    candidates = [(abs(statistics.fmean(review[:30]) - typical), n) for n, review in enumerate(lengths)
                  if len(review) >= 30]
    if not candidates:
        raise SystemExit("no review of 30 sentences or more among --reviews: give longer reviews")
    text = texts[min(candidates)[1]]
    cut = text[: sentence_spans(text)[29][1]]
    assert len(sentence_spans(cut)) == 30
    return cut


# --- scan --------------------------------------------------------------------------------------


def scan_rate(texts: list[str], model: Path | None, precision: str, folder: Path) -> dict[str, Any]:
    """Sentences/s of `spoilerscan scan` of the texts, its start-up (a run of one review) taken out."""
    def timed(records: list[str], name: str) -> tuple[float, int]:
        source, out = folder / f"{name}.jsonl", folder / f"{name}.out.jsonl"
        source.write_text("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in enumerate(records)),
                          encoding="utf-8")
        command = [*spoilerscan_command(), "scan", str(source), "--jsonl-input", "-f", "jsonl", "-o", str(out), "-q",
                   "--precision", precision, *(["-m", str(model)] if model else [])]
        began = time.perf_counter()
        subprocess.run(command, check=True, timeout=3600)
        seconds = time.perf_counter() - began
        lines = [line for line in out.read_text(encoding="utf-8").split("\n") if line]  # not splitlines: U+2028
        sentences = sum(len(json.loads(line)["sentences"]) for line in lines)
        return seconds, sentences

    one_seconds, one_sentences = timed(texts[:1], "one")
    all_seconds, all_sentences = timed(texts, "all")
    rate = (all_sentences - one_sentences) / max(all_seconds - one_seconds, 1e-9)
    return {"reviews": len(texts), "sentences": all_sentences, "seconds": round(all_seconds, 2),
            "startup_seconds": round(one_seconds, 2), "sentences_per_second": round(rate, 1)}


# --- the server ----------------------------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


def start_server(model: Path | None, precision: str, folder: Path, options: list[str]) -> Served:
    log = folder / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([*spoilerscan_command(), "serve", "--port", "0", "--precision", precision,
                                    "--max-bytes", "10MB", *(["-m", str(model)] if model else []), *options],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink)
    for _ in range(1200):  # at most 120 s
        found = STARTUP.search(log.read_text(encoding="utf-8", errors="replace"))
        if found:
            return Served(process, int(found.group(1)), log)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server did not start: {log.read_text(errors='replace')}")


def memory_of(pid: int) -> dict[str, float]:
    """The process's current and peak resident memory, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


# --- clients -------------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection: POST a JSON body, read the status and the body."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        more = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{more}"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, closing = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                closing = True
        answer = await self.reader.readexactly(length)
        if closing:
            await self.close()
        return status, answer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


@dataclass
class Phase:
    clients: int
    requests: int = 0
    sentences: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)

    def add(self, other: Phase) -> None:
        """Pool another phase's requests into this one (its time added)."""
        self.requests += other.requests
        self.sentences += other.sentences
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies += other.latencies

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def quantile(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else 0.0

        return {"clients": self.clients, "requests": self.requests, "errors": self.errors,
                "seconds": round(self.seconds, 2), "requests_per_second": round(self.requests / self.seconds, 1),
                "sentences_per_second": round(self.sentences / self.seconds, 1), "p50_ms": quantile(0.50),
                "p90_ms": quantile(0.90), "p99_ms": quantile(0.99), "max_ms": quantile(1.0),
                "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else 0.0}


def bodies(texts: list[str]) -> list[bytes]:
    return [json.dumps({"text": text, "format": "text"}).encode() for text in texts]


async def client_loop(port: int, work: Iterator[bytes], phase: Phase, deadline: float, budget: list[int],
                      headers: dict[str, str] | None = None) -> None:
    connection = Connection(port)
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            body = next(work)
            began = time.perf_counter()
            try:
                status, answer = await connection.post("/v1/annotate", body, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                phase.errors += 1
                await connection.close()
                continue
            phase.latencies.append(time.perf_counter() - began)
            phase.requests += 1
            if status == 200:
                phase.sentences += json.loads(answer)["summary"]["sentences"]
            else:
                phase.errors += 1
    finally:
        await connection.close()


def cycle(items: list[bytes]) -> Iterator[bytes]:
    while True:
        yield from items


async def run_phase(port: int, clients: int, work: list[bytes], requests: int, seconds: float) -> Phase:
    """``clients`` connections sending ``work`` in turn until ``requests`` were sent or ``seconds`` passed."""
    phase = Phase(clients)
    shared = cycle(work)
    budget = [requests]
    began = time.perf_counter()
    await asyncio.gather(*(client_loop(port, shared, phase, began + seconds, budget) for _ in range(clients)))
    phase.seconds = time.perf_counter() - began
    return phase


async def probe_among(port: int, probe: bytes, others: list[bytes], clients: int, samples: int,
                      seconds: float) -> tuple[Phase, Phase]:
    """One client sends the probe review ``samples`` times while ``clients - 1`` send the others."""
    probing, background = Phase(1), Phase(clients - 1)
    began = time.perf_counter()
    deadline = began + seconds
    probe_budget, other_budget = [samples], [10**9]

    async def probe_client() -> None:
        await client_loop(port, cycle([probe]), probing, deadline, probe_budget)
        other_budget[0] = 0  # the background stops with the probe

    shared = cycle(others)
    await asyncio.gather(probe_client(), *(client_loop(port, shared, background, deadline, other_budget)
                                           for _ in range(clients - 1)))
    probing.seconds = background.seconds = time.perf_counter() - began
    return probing, background


# --- the run -------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    texts = load_texts(args.reviews, args.limit)
    rss_texts = load_texts(args.rss_reviews, args.limit) if args.rss_reviews else texts
    probe = bodies([thirty_sentences(texts)])
    results: dict[str, Any] = {
        "conditions": {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                       "python": platform.python_version(), "machine": platform.machine(),
                       "model": str(args.model or "shipped"), "precision": args.precision,
                       "reviews": str(args.reviews), "review_count": len(texts),
                       "rss_reviews": str(args.rss_reviews or args.reviews), "server_options": args.server_option},
    }
    served = start_server(args.model, args.precision, folder, args.server_option)
    try:
        port = served.port
        work = bodies(texts)
        asyncio.run(run_phase(port, 4, work, 40, 60))  # warm-up: not reported
        results["serve"] = []
        for clients in args.clients:
            print(f"{clients} client(s)…", file=sys.stderr)
            phase = asyncio.run(run_phase(port, clients, work, max(args.requests, 3 * clients), args.seconds))
            results["serve"].append(phase.summary())
        # A shared machine's load drifts: scan and serve take turns, and each round is one comparison.
        rounds = []
        for number in range(args.rounds):
            print(f"round {number + 1} of {args.rounds}: scan, then 32 clients, of the same reviews…", file=sys.stderr)
            scanned = scan_rate(texts, args.model, args.precision, folder)
            served_32 = asyncio.run(run_phase(port, 32, work, len(work), args.seconds)).summary()
            rounds.append({"scan": scanned, "serve_32_clients": served_32,
                           "ratio": round(served_32["sentences_per_second"] / scanned["sentences_per_second"], 2)})
        results["rounds"] = rounds
        print("the 30-sentence review, alone and among 8 clients, in turns…", file=sys.stderr)
        alone, loaded, background = Phase(1), Phase(1), Phase(7)
        for _ in range(args.rounds):
            alone.add(asyncio.run(run_phase(port, 1, probe, args.probe_samples, args.seconds)))
            probing, others = asyncio.run(probe_among(port, probe[0], work, 8, args.probe_samples, args.seconds))
            loaded.add(probing)
            background.add(others)
        results["thirty_sentences"] = {"alone": alone.summary(), "among_8_clients": loaded.summary(),
                                       "background_7_clients": background.summary(),
                                       "p99_over_alone_p50": round(loaded.summary()["p99_ms"]
                                                                   / alone.summary()["p50_ms"], 2)}
        print(f"memory over {args.rss_requests} requests…", file=sys.stderr)
        before = memory_of(served.process.pid)
        flat = asyncio.run(run_phase(port, 32, bodies(rss_texts), args.rss_requests, args.rss_seconds))
        after = memory_of(served.process.pid)
        results["memory"] = {"requests": flat.requests, "errors": flat.errors, "seconds": round(flat.seconds, 1),
                             "before_mb": before, "after_mb": after,
                             "peak_growth_mb": round(after["VmHWM"] - before["VmHWM"], 1)}
        served.process.send_signal(signal.SIGTERM)
        results["serve_exit_code"] = served.process.wait(60)
    finally:
        if served.process.poll() is None:
            served.process.kill()
        served.process.wait(30)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results["conditions"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["conditions"]["client_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    results["bar"] = bar(results)
    return results


def bar(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's bar, each with the numbers it compares (throughput: the median round)."""
    ratio = statistics.median(r["ratio"] for r in results["rounds"])
    thirty = results["thirty_sentences"]
    phases = [*results["serve"], *(r["serve_32_clients"] for r in results["rounds"]), results["memory"],
              *(thirty[key] for key in ("alone", "among_8_clients", "background_7_clients"))]
    errors = sum(p["errors"] for p in phases)
    return {
        "32_clients_vs_scan": {"median_ratio": ratio, "needs": ">= 0.8", "ok": ratio >= 0.8},
        "30_sentences_p99_at_8_over_alone": {"ratio": thirty["p99_over_alone_p50"], "needs": "<= 4",
                                             "ok": thirty["p99_over_alone_p50"] <= 4},
        "errors": {"count": errors, "needs": "0", "ok": errors == 0},
        "rss_growth_mb": {"growth": results["memory"]["peak_growth_mb"], "needs": "<= 50",
                          "ok": results["memory"]["peak_growth_mb"] <= 50},
        "exit_code_after_sigterm": {"code": results.get("serve_exit_code"), "needs": "0",
                                    "ok": results.get("serve_exit_code") == 0},
    }


def table(results: dict[str, Any]) -> str:
    lines = ["| clients | requests | requests/s | sentences/s | p50 ms | p99 ms | errors |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for p in results["serve"]:
        lines.append(f"| {p['clients']} | {p['requests']} | {p['requests_per_second']} | {p['sentences_per_second']} "
                     f"| {p['p50_ms']} | {p['p99_ms']} | {p['errors']} |")
    lines.append("\n| round | scan sentences/s | serve, 32 clients, sentences/s | ratio |\n|---:|---:|---:|---:|")
    for number, r in enumerate(results["rounds"], 1):
        lines.append(f"| {number} | {r['scan']['sentences_per_second']} | "
                     f"{r['serve_32_clients']['sentences_per_second']} | {r['ratio']} |")
    thirty = results["thirty_sentences"]
    lines.append(f"\n30-sentence review: alone p50 {thirty['alone']['p50_ms']} ms; among 8 clients p50 "
                 f"{thirty['among_8_clients']['p50_ms']} ms, p99 {thirty['among_8_clients']['p99_ms']} ms "
                 f"({thirty['p99_over_alone_p50']}x)")
    memory = results["memory"]
    lines.append(f"memory: peak RSS {memory['before_mb']['VmHWM']} MB before, {memory['after_mb']['VmHWM']} MB after "
                 f"{memory['requests']} requests ({memory['peak_growth_mb']} MB)")
    lines.append("bar: " + ", ".join(f"{name} {'ok' if check['ok'] else 'MISSED'}"
                                     for name, check in results["bar"].items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=Path, default=REPO / "examples", help="JSONL of reviews, or review files")
    parser.add_argument("--rss-reviews", type=Path, help="texts of the memory run (default: --reviews)")
    parser.add_argument("--limit", type=int, default=1000, help="at most this many reviews of each file")
    parser.add_argument("--model", type=Path, help="model directory (default: the shipped one)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8"])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=400, help="requests of each client phase (at most)")
    parser.add_argument("--seconds", type=float, default=90, help="seconds of each phase (at most)")
    parser.add_argument("--probe-samples", type=int, default=20,
                        help="requests of the 30-sentence review in each round, alone and among 8 clients")
    parser.add_argument("--rounds", type=int, default=3, help="turns of scan and serve (and of the probe)")
    parser.add_argument("--rss-requests", type=int, default=10_000)
    parser.add_argument("--rss-seconds", type=float, default=480)
    parser.add_argument("--server-option", action="append", default=[], help="passed to spoilerscan serve")
    parser.add_argument("--out", type=Path, help="results as JSON (default: benchmarks/results/serve_load.json, "
                        "or serve_hostile.json with --hostile)")
    parser.add_argument("--hostile", action="store_true", help="the hostile runs instead (serve_hostile.py)")
    parser.add_argument("--tricklers", type=int, default=256, help="--hostile: trickling connections")
    parser.add_argument("--big-bytes", type=int, default=1_000_000, help="--hostile: size of the big request")
    args = parser.parse_args()
    results_folder = REPO / "benchmarks" / "results"
    args.out = args.out or results_folder / ("serve_hostile.json" if args.hostile else "serve_load.json")
    with tempfile.TemporaryDirectory() as scratch:
        if args.hostile:
            from serve_hostile import hostile, hostile_table

            results = hostile(args, Path(scratch))
        else:
            results = measure(args, Path(scratch))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(hostile_table(results) if args.hostile else table(results))
    print(f"\n(written to {args.out})")


if __name__ == "__main__":
    main()
