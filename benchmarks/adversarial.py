"""Hostile input: the whole-process time of `spoilerscan scan` on each pathological family at N and 4N
bytes, their ratio, and 1 MB of each, beside the time of reading alone.

    python benchmarks/adversarial.py --out adversarial.json            # the issue's families
    python benchmarks/adversarial.py --all --sizes 50000 --mb 0        # every family, no 1 MB runs
    python benchmarks/adversarial.py --checkout /path/to/older/checkout  # its code, for a before/after
    python benchmarks/adversarial.py --all --reading-only               # the readers alone, every family
    python benchmarks/adversarial.py --all --stop-latency               # how soon a stopped 1 MB reading stops

The families (tests/reading/pathological.py) are a unit repeated to a size, as cmark's pathological
tests build them: unclosed ``[spoiler]``, ``>!``, ``||``, ``<details>``, ``<div>``, nested lists and
quotes, one long unpunctuated line, many tiny paragraphs, and those found since. Each is written to a
file whose suffix picks its format (.txt, .md, .html) and scanned by a fresh `spoilerscan scan -q`
process (the shipped model, its start-up included), bounded by --timeout and killed by its pid when
it runs over. ``reading`` is the time of :func:`spoilerscan.reading.segment.read` alone in this
process (no model): what the readers cost, apart from scoring the sentences they find. The machine's
load average is recorded before and after every run. Results: a table on stdout and JSON (--out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.reading.pathological import FAMILIES, Family  # noqa: E402

SUFFIXES = {"text": ".txt", "markdown": ".md", "html": ".html"}
ISSUE_FAMILIES = 13  # the first ones in the table: the issue's list


def scan_time(path: Path, checkout: Path, timeout: float) -> dict[str, Any]:
    """Wall time of one `spoilerscan scan` process on ``path`` with ``checkout``'s code, or its timeout."""
    command = [str(Path(sys.executable).parent / "spoilerscan"), "scan", str(path), "-q"]
    if not Path(command[0]).exists():
        command = [sys.executable, "-c", "from spoilerscan.cli.app import main; main()", *command[1:]]
    environment = {**os.environ, "PYTHONPATH": str(checkout), "HF_HUB_OFFLINE": "1"}
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, cwd=checkout)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # by its pid
        process.communicate()
        return {"seconds": None, "timed_out": timeout, "load": [load, os.getloadavg()[0]]}
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {"seconds": round(seconds, 2), "exit": process.returncode,
                              "load": [round(load, 2), round(os.getloadavg()[0], 2)]}
    if process.returncode == 0:
        result["sentences"] = sum(len(r["sentences"]) for r in json.loads(out)["reviews"])
    else:
        result["error"] = err.decode("utf-8", "replace").strip().splitlines()[-1:]
    return result


def reading_time(family: Family, size: int, checkout: Path) -> float:
    """Seconds of reading alone (parse, exempt, split) in a fresh process of ``checkout``'s code."""
    code = ("import sys, time; from spoilerscan.reading.segment import read; "
            "from spoilerscan.reading.markup import ALL_STYLES; text = sys.stdin.read(); "
            "read('a', sys.argv[1], ALL_STYLES); start = time.process_time(); read(text, sys.argv[1], ALL_STYLES); "
            "print(time.process_time() - start)")
    done = subprocess.run([sys.executable, "-c", code, family.format], input=family.build(size), text=True,
                          capture_output=True, env={**os.environ, "PYTHONPATH": str(checkout)}, timeout=600,
                          check=True)
    return round(float(done.stdout), 3)


def stop_latency(family: Family, size: int, checkout: Path, after: list[float]) -> float | None:
    """The longest time, in seconds, from setting a reading's stop event (what serve does when a request
    is cancelled) to the reading stopping, over readings of ``size`` characters stopped ``after`` those
    seconds (a fresh reading each); None when each reading ended before its stop."""
    code = ("import sys, threading, time; from spoilerscan.reading.segment import read; "
            "from spoilerscan.reading.markup import ALL_STYLES; "
            "from spoilerscan.reading.stopping import ReadingStopped, stoppable\n"
            "text, fmt, worst = sys.stdin.read(), sys.argv[1], None; read('a', fmt, ALL_STYLES)\n"
            "for after in map(float, sys.argv[2:]):\n"
            "    stop, stopped = threading.Event(), []\n"
            "    def run():\n"
            "        with stoppable(stop):\n"
            "            try: read(text, fmt, ALL_STYLES)\n"
            "            except ReadingStopped: stopped.append(time.perf_counter())\n"
            "    thread = threading.Thread(target=run); thread.start(); time.sleep(after)\n"
            "    at = time.perf_counter(); stop.set(); thread.join()\n"
            "    if stopped: worst = max(worst or 0.0, stopped[0] - at)\n"
            "print(worst)")
    done = subprocess.run([sys.executable, "-c", code, family.format, *map(str, after)], input=family.build(size),
                          text=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(checkout)},
                          timeout=600, check=True)
    return None if done.stdout.strip() == "None" else round(float(done.stdout), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000], help="N: each family is run at N and 4N")
    parser.add_argument("--mb", type=int, default=1_000_000, help="the large run's size in bytes (0: none)")
    parser.add_argument("--all", action="store_true", help="every family, not only the issue's")
    parser.add_argument("--family", action="append", default=[], help="only this family (repeatable)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a scan may run before it is killed")
    parser.add_argument("--checkout", type=Path, default=REPO, help="the code to run (default: this checkout)")
    parser.add_argument("--reading-only", action="store_true", help="time reading alone, no scan processes")
    parser.add_argument("--stop-latency", action="store_true",
                        help="how long a reading of --mb characters takes to stop once its stop event is set "
                             "(serve's cancelled requests), stopped at several points; no scan processes")
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    families = [f for f in (FAMILIES if args.all or args.family else FAMILIES[:ISSUE_FAMILIES])
                if not args.family or f.name in args.family]
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                           "checkout": str(args.checkout)}, "families": []}
    if args.stop_latency:
        print(f"{'family':42} {'size':>8} {'reading':>8} {'stop latency':>12} load")
        for family in families:
            whole = reading_time(family, args.mb, args.checkout)
            points = [round(whole * share, 3) for share in (0.05, 0.25, 0.5, 0.75, 0.95)]
            latency = stop_latency(family, args.mb, args.checkout, points)
            results["families"].append({"family": family.name, "size": args.mb, "reading": whole,
                                        "stopped_after": points, "stop_latency": latency,
                                        "load": os.getloadavg()[0]})
            print(f"{family.name:42} {args.mb:>8} {whole:>8.3f} {latency if latency is not None else '-'!s:>12} "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
        if args.out:
            args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        return
    folder = Path(tempfile.mkdtemp(prefix="spoilerscan-adversarial-"))
    try:
        print(f"{'family':42} {'N':>8} {'scan N':>8} {'scan 4N':>8} {'ratio':>6} {'read N':>7} {'read 4N':>7} "
              f"{'ratio':>6} {'scan 1MB':>9} {'sentences 1MB':>13} load")
        for family in families:
            for size in args.sizes:
                row: dict[str, Any] = {"family": family.name, "format": family.format, "n": size}
                for label, n in (("n", size), ("4n", 4 * size), *((("mb", args.mb),) if args.mb else ())):
                    path = folder / f"review{SUFFIXES[family.format]}"
                    path.write_text(family.build(n), encoding="utf-8")
                    row[f"scan_{label}"] = {"seconds": None, "load": [os.getloadavg()[0]]} if args.reading_only \
                        else scan_time(path, args.checkout, args.timeout)
                    if label != "mb":
                        row[f"read_{label}"] = reading_time(family, n, args.checkout)
                small, large = row["scan_n"]["seconds"], row["scan_4n"]["seconds"]
                row["ratio"] = round(large / small, 2) if small and large else None
                row["read_ratio"] = round(row["read_4n"] / row["read_n"], 2) if row["read_n"] else None
                results["families"].append(row)
                big = row.get("scan_mb", {})

                def shown(value: float | None) -> str:
                    return "-" if value is None else f"{value:.2f}"

                print(f"{family.name:42} {size:>8} {shown(small):>8} {shown(large):>8} {shown(row['ratio']):>6} "
                      f"{row['read_n']:>7.3f} {row['read_4n']:>7.3f} {shown(row['read_ratio']):>6} "
                      f"{shown(big.get('seconds')) if not big.get('timed_out') else '>' + str(int(args.timeout)):>9} "
                      f"{big.get('sentences', '-')!s:>13} {row['scan_4n']['load'][0]:.1f}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
