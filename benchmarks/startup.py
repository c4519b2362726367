"""Cold start of whole `spoilerscan` processes, and where its time goes (used by run.py).

A user's short run is mostly start-up: the interpreter, the imports, ONNX Runtime opening the
graphs, then one batch. Runs are timed whole (wall and CPU seconds, the CPU from the child's own
rusage, which a loaded machine inflates far less than the wall), interleaved with an earlier
checkout's when one is given, so that both see the same load; the 1-minute load average is
recorded beside them.
"""

from __future__ import annotations

import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REVIEW_SENTENCES = 30


def review_of(sentences: list[str], count: int = REVIEW_SENTENCES) -> str:
    """A plain-text review that spoilerscan splits into ``count`` sentences, from the corpus's first ones."""
    from spoilerscan.reading.segment import read

    for end in range(count, len(sentences) + 1):
        text = " ".join(sentences[:end]) + "\n"
        found = len(read(text).sentences)
        if found >= count:
            return text
    raise ValueError(f"the corpus does not make a {count}-sentence review")


def load() -> float:
    return os.getloadavg()[0]


def as_installed(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a timed run: Python caches bytecode, as an installed package's is (an environment
    with PYTHONDONTWRITEBYTECODE set compiles every spoilerscan module at every start)."""
    return {k: v for k, v in (env if env is not None else os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=as_installed(env))
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    walls = [wall for wall, _ in samples]
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "cpu_median_s": statistics.median(cpu for _, cpu in samples), "runs": len(samples)}


def paired_runs(commands: dict[str, list[str]], runs: int, baseline: Path | None) -> dict[str, Any]:
    """Each command ``runs`` times, round-robin, and with a baseline checkout also its run of the same
    command (its code on PYTHONPATH) right after each: medians of wall and CPU seconds, and the load."""
    sides = {"this": None} | ({"baseline": {**os.environ, "PYTHONPATH": str(baseline)}} if baseline else {})
    samples: dict[tuple[str, str], list[tuple[float, float]]] = collections.defaultdict(list)
    for command in commands.values():  # a warm-up of each: bytecode written, files in the page cache
        for env in sides.values():
            run_once(command, env)
    loads = [load()]
    for _ in range(runs):
        for name, command in commands.items():
            for side, env in sides.items():
                samples[(name, side)].append(run_once(command, env))
        loads.append(load())
    results: dict[str, Any] = {"load_1min": {"min": min(loads), "max": max(loads)}}
    for (name, side), found in samples.items():
        results.setdefault(name, {})[side] = summary(found)
    return results


PROFILE_PROBE = """
import cProfile, json, pstats, sys, time
started = time.perf_counter()
sys.argv = ["spoilerscan", *sys.argv[1:]]
profile = cProfile.Profile()
profile.enable()
try:
    from spoilerscan.cli import main
    main()
except SystemExit:
    pass
profile.disable()
total = time.perf_counter() - started
stats = pstats.Stats(profile).stats
def spent(where, name):
    return sum(v[3] for k, v in stats.items() if k[0].endswith(where) and k[2] == name)
print(json.dumps({"total_s": total, "imports_s": spent("_bootstrap>", "_find_and_load"),
            "onnx_sessions_s": spent("onnxruntime_inference_collection.py", "_create_inference_session"),
            "tokenize_s": spent("engines.py", "tokenize"), "encoder_s": spent("engines.py", "encode"),
            "head_s": spent("engines.py", "logits")}))
"""


def where_time_goes(command_args: list[str]) -> dict[str, Any]:
    """One profiled run of ``spoilerscan ARGS`` in a fresh process: seconds in imports (every module the run
    imports, lazily or not), ONNX Runtime session creation, tokenizing, the encoder and the head, and the
    rest (argument parsing, reading, rendering); then the imports' own time grouped by top-level package
    (``-X importtime``). The profiler slows Python code, so read the shares, not the seconds."""
    done = subprocess.run([sys.executable, "-c", PROFILE_PROBE, *command_args], capture_output=True, text=True,
                          check=True, env=as_installed())
    phases: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    phases["rest_s"] = phases["total_s"] - sum(v for k, v in phases.items() if k != "total_s")
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "imports.txt"
        with log.open("w", encoding="utf-8") as sink:
            subprocess.run([sys.executable, "-X", "importtime", "-c",
                            "import sys; sys.argv = ['spoilerscan', *sys.argv[1:]]\n"
                            "from spoilerscan.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass",
                            *command_args], stdout=subprocess.DEVNULL, stderr=sink, check=False, env=as_installed())
        packages: collections.Counter[str] = collections.Counter()
        for line in log.read_text(encoding="utf-8").splitlines():
            found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s+(\S+)", line)
            if found:
                packages[found.group(2).split(".")[0]] += int(found.group(1))
    total = sum(packages.values())
    return {"phases": phases, "imports_by_package_s": {name: us / 1e6 for name, us in packages.most_common(12)},
            "imports_total_s": total / 1e6}
