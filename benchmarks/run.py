"""Measure spoilerscan's speed and memory, and write the numbers to a JSON file.

    python benchmarks/run.py --corpus ../shared/data/goodreads/sentences.csv

- throughput: raw batched forward pass vs the end-to-end pipeline (split, tokenize, infer,
  render findings) over the same sentences, for ONNX Runtime fp32, torch fp32 and torch int8,
  side by side in one run;
- cold start: median wall time of whole `spoilerscan` processes: --help, and redact of a
  30-sentence review on each engine (plus the one-off first run that exports the ONNX model);
- memory: peak RSS of `spoilerscan scan` on one large single-review file and on a JSONL archive of
  30-sentence reviews, each at two sizes (flatness).
The corpus is any labelled file spoilerscan reads; its sentences are grouped into reviews.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "sixth-sense-review.md"


def spoilerscan_command() -> list[str]:
    script = Path(sys.executable).parent / "spoilerscan"
    return [str(script)] if script.exists() else [shutil.which("spoilerscan") or "spoilerscan"]


def load_corpus(path: Path, limit: int) -> list[str]:
    from spoilerscan.data import load_labelled

    return [row.text for row in load_labelled(path)][:limit]


def reviews_of(sentences: list[str], per_review: int = 30) -> list[str]:
    """Group sentences into paragraphs of review-like texts."""
    return [" ".join(sentences[i : i + per_review]) for i in range(0, len(sentences), per_review)]


def model_inputs(texts: list[str]) -> tuple[list[str], list[str]]:
    """The (sentence, context) pairs the pipeline gives the model for these reviews."""
    from spoilerscan.segment import neighbour_context, read

    sentences: list[str] = []
    contexts: list[str] = []
    for text in texts:
        reading = read(text)
        pieces = [reading.scored_text(s) for s in reading.sentences]
        sentences += pieces
        contexts += neighbour_context(pieces, [s.block for s in reading.sentences])
    return sentences, contexts


def raw_forward_rate(detector, texts: list[str], batch_size: int) -> float:  # type: ignore[no-untyped-def]
    """Sentences/s of the model alone: the pipeline's inputs, tokenized and batched beforehand."""
    sentences, contexts = model_inputs(texts)
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    engine = detector.engine
    batches = []
    for begin in range(0, len(order), batch_size):
        chosen = order[begin : begin + batch_size]
        pairs = [contexts[i] for i in chosen] if detector.context else None
        batches.append(engine.encode([sentences[i] for i in chosen], pairs))
    started = time.perf_counter()
    for batch in batches:
        engine.probabilities(batch)
    return len(sentences) / (time.perf_counter() - started)


def end_to_end_rate(detector, texts: list[str]) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Sentences/s of the CLI's scan pipeline: split, tokenize, infer, render JSON findings."""
    from spoilerscan.detect import annotate_stream
    from spoilerscan.render import findings

    started = time.perf_counter()
    count = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        stream = annotate_stream(((i, t) for i, t in enumerate(texts)), detector.score, detector.threshold,
                                 context=detector.context)
        for key, _, annotation in stream:
            sink.write(json.dumps(findings(str(key), annotation)) + "\n")
            count += len(annotation.sentences)
    return count / (time.perf_counter() - started), count


def timed_runs(command: list[str], runs: int, env: dict[str, str] | None = None) -> dict[str, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": runs}


def peak_rss_mb(command: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) and wall time of a whole process, from GNU time -v."""
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-v", *command], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, check=True)
    wall = time.perf_counter() - started
    for line in result.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1]) / 1024, wall
    raise RuntimeError("GNU time gave no peak RSS")


def measure_throughput(args: argparse.Namespace, texts: list[str]) -> dict[str, object]:
    from spoilerscan.detect import Detector

    throughput: dict[str, object] = {}
    for name, engine, quantize in (("onnx fp32", "onnx", False), ("torch fp32", "torch", False),
                                   ("torch int8", "torch", True)):
        detector = Detector.load(args.model, quantize=quantize, engine=engine)
        import torch

        raw_forward_rate(detector, texts[:7], args.batch_size)  # warm-up
        raw = raw_forward_rate(detector, texts, args.batch_size)
        e2e, counted = end_to_end_rate(detector, texts)
        throughput[name] = {"raw_forward_sentences_per_s": raw, "end_to_end_sentences_per_s": e2e,
                            "end_to_end_sentences": counted, "ratio": e2e / raw,
                            "torch_threads": torch.get_num_threads()}
        print(f"{name}: raw forward {raw:.0f} sent/s, end-to-end {e2e:.0f} sent/s "
              f"({counted} sentences), ratio {e2e / raw:.2f}", flush=True)
    return throughput


def measure_cold_start(args: argparse.Namespace, sentences: list[str], command: list[str],
                       model_args: list[str]) -> dict[str, object]:
    from spoilerscan.segment import split_sentences

    with tempfile.TemporaryDirectory() as scratch:
        review = Path(scratch) / "review.txt"
        take = 30
        while len(split_sentences(" ".join(sentences[:take]))) < 30 and take < len(sentences):
            take += 1  # some corpus lines hold more than one sentence, some join up
        review.write_text(" ".join(sentences[:take]) + "\n", encoding="utf-8")
        redact = [*command, "redact", str(review), "--quiet", *model_args]
        fresh_cache = {**os.environ, "SPOILERSCAN_CACHE_DIR": str(Path(scratch) / "cache")}
        cold: dict[str, Any] = {
            "review_sentences": len(split_sentences(review.read_text(encoding="utf-8"))),
            "help": timed_runs([*command, "--help"], args.runs),
            "redact_first_run_with_onnx_export": timed_runs(redact, 1, env=fresh_cache),
            "redact_onnx": timed_runs(redact, args.runs, env=fresh_cache),
            "redact_torch": timed_runs(redact, args.runs, env={**os.environ, "SPOILERSCAN_ENGINE": "torch"}),
        }
    print(f"cold start, median of {args.runs}: --help {cold['help']['median_s']:.3f} s; redact of a "
          f"{cold['review_sentences']}-sentence review: onnx {cold['redact_onnx']['median_s']:.3f} s, torch "
          f"{cold['redact_torch']['median_s']:.3f} s, first run with export "
          f"{cold['redact_first_run_with_onnx_export']['median_s']:.1f} s", flush=True)
    return cold


def measure_memory(args: argparse.Namespace, sentences: list[str], command: list[str],
                   model_args: list[str]) -> list[dict[str, object]]:
    """Peak RSS of ``scan`` on one big single-review file, and on a JSONL archive of many reviews."""
    memory: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as scratch:
        block = " ".join(sentences) + " "
        reviews = reviews_of(sentences)
        for size in args.memory_mb:
            target = int(size * 1_000_000)
            single = Path(scratch) / f"big-{size}.txt"
            single.write_text((block * (target // len(block) + 1))[:target], encoding="utf-8")
            archive = Path(scratch) / f"archive-{size}.jsonl"
            with archive.open("w", encoding="utf-8") as out:
                written = number = 0
                while written < target:
                    line = json.dumps({"id": number, "text": reviews[number % len(reviews)]}) + "\n"
                    written += out.write(line)
                    number += 1
            for shape, path, extra in (("single review", single, []), ("jsonl archive", archive, ["--jsonl-input"])):
                rss, wall = peak_rss_mb([*command, "scan", str(path), *extra, "--format", "jsonl", "--quiet",
                                         "-o", os.devnull, *model_args])
                memory.append({"input": shape, "input_mb": size, "peak_rss_mb": rss, "wall_s": wall})
                print(f"memory: {size} MB {shape} -> peak RSS {rss:.0f} MB in {wall:.0f} s", flush=True)
    return memory


PARTS = ("throughput", "cold", "memory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="labelled data file to draw sentences from")
    parser.add_argument("--model", type=Path, default=None, help="model directory [shipped model]")
    parser.add_argument("--sentences", type=int, default=3000, help="sentences for the throughput runs")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5, help="runs per cold-start measurement")
    parser.add_argument("--memory-mb", type=float, nargs="*", default=[1.0, 10.0],
                        help="input sizes of the memory runs (MB)")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="what to measure [all]")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "latest.json")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    sentences = load_corpus(args.corpus, args.sentences)
    command = spoilerscan_command()
    model_args = ["--model", str(args.model)] if args.model else []
    results: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "corpus": str(args.corpus), "sentences": len(sentences), "batch_size": args.batch_size,
    }
    if "throughput" in args.parts:
        results["throughput"] = measure_throughput(args, reviews_of(sentences))
    if "cold" in args.parts:
        results["cold_start"] = measure_cold_start(args, sentences, command, model_args)
    if "memory" in args.parts:
        results["memory"] = measure_memory(args, sentences, command, model_args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
