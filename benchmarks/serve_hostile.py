"""The hostile runs of ``benchmarks/serve_load.py --hostile`` (issue 33): the service under clients
that trickle, one huge request among ordinary ones, and SIGTERM under that load.

- trickle: ``--tricklers`` (256) connections send their headers and ``{`` of a 50-byte body and
  then nothing, to a server started with a token they do not have; meanwhile one token holder
  sends the 30-sentence review ``--probe-samples`` times: how many were answered 200, their
  p50/p99, and what the tricklers got;
- one big request: 8 clients send the 30-sentence review, first alone (the baseline), then while
  one more client sends a single ~1 MB review (real reviews joined) and waits for its answer; the
  8 clients' p99 during the big request over their p99 without it (the bar: at most 3x);
- SIGTERM under that load (``--shutdown-timeout`` 10): the seconds from the signal to the exit,
  the exit code, and what every client got (200, 503, or a closed connection; none left waiting).
Every phase is bounded in requests and seconds; the server is killed by its pid in a ``finally``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

from serve_load import Connection, Phase, bodies, client_loop, cycle, load_texts, start_server, thirty_sentences

TOKEN = "hostile-benchmark-token"
SHUTDOWN_SECONDS = 10


async def trickler(port: int, statuses: Counter[str], opened: asyncio.Event, release: asyncio.Event) -> None:
    """Headers and one byte of a 50-byte body, then nothing until ``release``: what did the server say?"""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as error:
        statuses[f"connect failed: {error.strerror}"] += 1
        return
    try:
        writer.write(b"POST /v1/annotate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 50\r\n\r\n{")
        await writer.drain()
        opened.set()
        line = await asyncio.wait_for(reader.readline(), 120)
        statuses[line.split()[1].decode() if line else "closed"] += 1
        await release.wait()
    except (OSError, TimeoutError) as error:
        statuses[type(error).__name__] += 1
    finally:
        writer.close()


async def trickle_run(port: int, probe: bytes, tricklers: int, samples: int) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    release = asyncio.Event()
    opened = [asyncio.Event() for _ in range(tricklers)]
    tasks = [asyncio.ensure_future(trickler(port, statuses, o, release)) for o in opened]
    await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 60)
    holder = Phase(1)
    began = time.perf_counter()
    await client_loop(port, cycle([probe]), holder, began + 300, [samples],
                      headers={"Authorization": f"Bearer {TOKEN}"})
    holder.seconds = time.perf_counter() - began
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    return {"tricklers": tricklers, "trickler_answers": dict(statuses), "token_holder": holder.summary()}


async def big_among(port: int, probe: bytes, big: bytes, clients: int, samples: int,
                    seconds: float) -> tuple[Phase, dict[str, Any]]:
    """``clients`` send the probe until the big request is answered (at least ``samples`` requests)."""
    small = Phase(clients)
    done = asyncio.Event()
    outcome: dict[str, Any] = {}

    async def big_client() -> None:
        connection = Connection(port)
        began = time.perf_counter()
        try:
            status, answer = await asyncio.wait_for(connection.post("/v1/annotate", big), seconds)
            outcome.update(status=status, seconds=round(time.perf_counter() - began, 1))
            if status == 200:
                outcome["sentences"] = json.loads(answer)["summary"]["sentences"]
            else:
                outcome["error"] = json.loads(answer)["error"]
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            outcome.update(status=type(error).__name__, seconds=round(time.perf_counter() - began, 1))
        finally:
            await connection.close()
            done.set()

    async def small_client() -> None:
        await asyncio.sleep(0.5)  # the big request first: it is the one already queued
        while not done.is_set() or small.requests < samples:
            await client_loop(port, cycle([probe]), small, time.perf_counter() + seconds, [1])
            if small.requests >= 20 * samples:
                break

    began = time.perf_counter()
    await asyncio.gather(big_client(), *(small_client() for _ in range(clients)))
    small.seconds = time.perf_counter() - began
    return small, outcome


async def sigterm_run(served: Any, probe: bytes, big: bytes, clients: int) -> dict[str, Any]:
    """Requests sent before the signal: what each got. A client stops at its first answer but a 200
    after the signal (a refused connection then is the server no longer listening, not counted)."""
    statuses: Counter[str] = Counter()
    signalled = asyncio.Event()

    async def one(body: bytes) -> bool:
        connection = Connection(served.port)
        sent_before = not signalled.is_set()
        try:
            status, _ = await asyncio.wait_for(connection.post("/v1/annotate", body), 120)
            statuses[str(status)] += 1
            return status == 200
        except ConnectionRefusedError:
            if sent_before:
                statuses["refused"] += 1
            return False
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            statuses["closed without an answer"] += 1
            return False
        except TimeoutError:
            statuses["no answer in 120 s"] += 1
            return False
        finally:
            await connection.close()

    async def small_client() -> None:
        while await one(probe) or not signalled.is_set():
            pass

    tasks = [asyncio.ensure_future(one(big)), *(asyncio.ensure_future(small_client()) for _ in range(clients))]
    await asyncio.sleep(5)  # the big request is being scored, the others come and go
    sent = time.perf_counter()
    served.process.send_signal(signal.SIGTERM)
    signalled.set()
    while served.process.poll() is None and time.perf_counter() - sent < 120:
        await asyncio.sleep(0.05)
    exited = time.perf_counter() - sent
    await asyncio.wait_for(asyncio.gather(*tasks), 150)
    return {"shutdown_timeout": SHUTDOWN_SECONDS, "seconds_to_exit": round(exited, 2),
            "exit_code": served.process.poll(), "answers": dict(statuses)}


def big_review(texts: list[str], size: int) -> bytes:
    parts, total = [], 0
    while total < size:
        for text in texts:
            parts.append(text)
            total += len(text.encode()) + 2
            if total >= size:
                break
    return json.dumps({"text": "\n\n".join(parts), "format": "text"}).encode()


def hostile(args: Any, folder: Path) -> dict[str, Any]:
    texts = load_texts(args.reviews, args.limit)
    probe = bodies([thirty_sentences(texts)])[0]
    big = big_review(texts, args.big_bytes)
    results: dict[str, Any] = {"conditions": {
        "cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "model": str(args.model or "shipped"), "precision": args.precision, "reviews": str(args.reviews),
        "big_request_bytes": len(big)}}
    os.environ["SPOILERSCAN_TOKEN"] = TOKEN
    served = start_server(args.model, args.precision, folder, ["--quiet", *args.server_option])
    try:
        port = served.port
        asyncio.run(client_loop_once(port, probe))  # warm-up
        print(f"{args.tricklers} trickling connections and a token holder…", flush=True)
        results["trickle"] = asyncio.run(trickle_run(port, probe, args.tricklers, args.probe_samples))
    finally:
        stop(served)
    del os.environ["SPOILERSCAN_TOKEN"]
    served = start_server(args.model, args.precision, folder,
                          ["--quiet", "--request-timeout", "600", "--shutdown-timeout", str(SHUTDOWN_SECONDS),
                           *args.server_option])
    try:
        port = served.port
        asyncio.run(client_loop_once(port, probe))
        print("8 clients of 30-sentence reviews, without and then beside a 1 MB request…", flush=True)
        baseline = Phase(8)
        began = time.perf_counter()
        asyncio.run(gather_clients(port, probe, baseline, 8, 8 * args.probe_samples))
        baseline.seconds = time.perf_counter() - began
        small, outcome = asyncio.run(big_among(port, probe, big, 8, 8 * args.probe_samples, args.seconds))
        ratio = round(small.summary()["p99_ms"] / baseline.summary()["p99_ms"], 2)
        results["big_request"] = {"without": baseline.summary(), "beside_the_big_one": small.summary(),
                                  "big": outcome, "p99_ratio": ratio, "needs": "<= 3", "ok": ratio <= 3}
        print("SIGTERM while the big request and 8 clients are in flight…", flush=True)
        results["sigterm"] = asyncio.run(sigterm_run(served, probe, big, 8))
    finally:
        stop(served)
    results["conditions"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


async def client_loop_once(port: int, probe: bytes) -> None:
    await client_loop(port, cycle([probe]), Phase(1), time.perf_counter() + 120, [3])


async def gather_clients(port: int, probe: bytes, phase: Phase, clients: int, requests: int) -> None:
    budget = [requests]
    deadline = time.perf_counter() + 300
    await asyncio.gather(*(client_loop(port, cycle([probe]), phase, deadline, budget) for _ in range(clients)))


def stop(served: Any) -> None:
    if served.process.poll() is None:
        served.process.kill()
    served.process.wait(30)


def hostile_table(results: dict[str, Any]) -> str:
    trickle, big, term = results["trickle"], results["big_request"], results["sigterm"]
    holder = trickle["token_holder"]
    return "\n".join([
        f"trickle: {trickle['tricklers']} connections got {trickle['trickler_answers']}; the token holder: "
        f"{holder['requests'] - holder['errors']} of {holder['requests']} answered 200, p50 {holder['p50_ms']} ms, "
        f"p99 {holder['p99_ms']} ms",
        f"big request: 8 clients p99 {big['without']['p99_ms']} ms without, {big['beside_the_big_one']['p99_ms']} ms "
        f"beside it ({big['p99_ratio']}x; errors {big['beside_the_big_one']['errors']}); the big one: {big['big']}",
        f"SIGTERM: exit {term['exit_code']} after {term['seconds_to_exit']} s (--shutdown-timeout "
        f"{term['shutdown_timeout']}); answers {term['answers']}",
        f"load average {results['conditions']['load_average_at_start']} at the start, "
        f"{results['conditions']['load_average_at_end']} at the end",
    ])
