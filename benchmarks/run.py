"""Measure spoilerscan's speed and memory, and write the numbers to a JSON file.

    python benchmarks/run.py --corpus ../shared/data/goodreads/sentences.csv

- throughput: the model alone (sentence encoder and review head on ONNX Runtime, inputs tokenized
  and batched beforehand) vs the end-to-end pipeline (read, split, tokenize, encode, review head,
  render JSON findings) over the same reviews, for the fp32 and the int8 encoder side by side, and
  with --baseline DIR the same end-to-end measurement of an earlier checkout (its own code and
  model, its own benchmarks/run.py's end_to_end_rate) in the same run: before and after;
- profile: where the end-to-end time goes (read and split, tokenizer, encoder, review head, render);
- cold start: median wall (and CPU) time of whole `spoilerscan` processes: --help, and redact of a
  30-sentence review drawn from the corpus with the default precision and each encoder, interleaved
  with --baseline's code where given; then where one cold redact's time goes (startup.py);
- scan: whole `scan` processes over the corpus's reviews with the default precision and each
  encoder, interleaved: the default's time over fp32's;
- memory: peak RSS of `spoilerscan scan` on one large single-review file (the corpus repeated, so each
  distinct sentence is encoded once; and one whose sentences all differ, the encoder's whole work), on a
  JSONL archive and on a Parquet archive of 30-sentence reviews, each at two sizes (--memory-inputs picks);
- ray: `scan --engine ray` of a Parquet archive with 1 and 2 workers of one CPU each (the scaling
  ratio), beside the single process on the same file; a small run of each gives the start-up cost,
  taken out of the steady-state rate.
The corpus is any labelled file spoilerscan reads; its sentences are grouped into reviews. --model
takes any model directory (default: the shipped one); --sentences, --runs and --memory-mb make a
quick smoke run small.
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

import numpy as np

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "sixth-sense-review.md"
PRECISIONS = ("fp32", "int8")
# one review of that size (the corpus repeated; its sentences all distinct), JSONL and Parquet archives
MEMORY_INPUTS = ("single", "distinct", "jsonl", "parquet")


def spoilerscan_command() -> list[str]:
    script = Path(sys.executable).parent / "spoilerscan"
    return [str(script)] if script.exists() else [shutil.which("spoilerscan") or "spoilerscan"]


def load_corpus(path: Path, limit: int) -> list[str]:
    from spoilerscan.training.data import load_reviews, sentence_rows

    return [text for text, _ in sentence_rows(load_reviews(path))][:limit]


def reviews_of(sentences: list[str], per_review: int = 30) -> list[str]:
    """Group sentences into paragraphs of review-like texts."""
    return [" ".join(sentences[i : i + per_review]) for i in range(0, len(sentences), per_review)]


def model_inputs(texts: list[str]) -> list[list[Any]]:
    """What the pipeline gives the model for these reviews: each review's sentences and their block kinds."""
    from spoilerscan.model.detect import model_inputs as inputs_of
    from spoilerscan.reading.segment import read

    return [inputs_of(read(text)) for text in texts]


def raw_model_rate(detector: Any, texts: list[str], batch_size: int) -> float:
    """Sentences/s of the model alone: the encoder over pre-tokenized batches, then the head over each review."""
    from spoilerscan.model.features import structure_features

    model = detector.model
    reviews = [review for review in model_inputs(texts) if review]
    flat = [s.text for review in reviews for s in review]
    order = sorted(range(len(flat)), key=lambda i: len(flat[i]))
    batches = []
    for begin in range(0, len(order), batch_size):
        chosen = order[begin : begin + batch_size]
        encoded = model.tokenizer.encode_batch([flat[i] for i in chosen])
        columns = {"input_ids": [e.ids for e in encoded], "attention_mask": [e.attention_mask for e in encoded],
                   "token_type_ids": [e.type_ids for e in encoded]}
        batches.append((chosen, {name: np.asarray(columns[name], dtype=np.int64) for name in model.input_names}))
    features = [structure_features(review) for review in reviews]
    started = time.perf_counter()
    embeddings: np.ndarray | None = None
    for chosen, inputs in batches:
        batch = model.encoder.run(None, inputs)[0]
        if embeddings is None:
            embeddings = np.empty((len(flat), batch.shape[1]), dtype=np.float32)
        embeddings[chosen] = batch
    assert embeddings is not None
    begin = 0
    for review_features in features:
        end = begin + len(review_features)
        model.head.run(None, {"features": np.concatenate([embeddings[begin:end], review_features], 1)[np.newaxis]})
        begin = end
    return len(flat) / (time.perf_counter() - started)


def end_to_end_rate(detector: Any, texts: list[str]) -> tuple[float, int]:
    """Sentences/s of the CLI's scan pipeline: read, split, tokenize, encode, review head, render JSON findings."""
    from spoilerscan.model.detect import annotate_stream
    from spoilerscan.render import findings

    started = time.perf_counter()
    count = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for key, _, annotation in annotate_stream(((i, t) for i, t in enumerate(texts)), detector,
                                                  detector.threshold):
            sink.write(json.dumps(findings(str(key), annotation)) + "\n")
            count += len(annotation.sentences)
    return count / (time.perf_counter() - started), count


def stage_profile(detector: Any, texts: list[str], batch_size: int) -> dict[str, float]:
    """Seconds spent in each stage of the pipeline over these reviews, run one stage at a time."""
    from spoilerscan.model.detect import SentenceScore, annotation_of
    from spoilerscan.model.detect import model_inputs as inputs_of
    from spoilerscan.model.engines import width_batches
    from spoilerscan.model.features import structure_features
    from spoilerscan.model.thresholds import sigmoid
    from spoilerscan.reading.segment import read
    from spoilerscan.render import findings

    model = detector.model
    clock = time.perf_counter
    started = clock()
    readings = [read(text) for text in texts]
    reviews = [inputs_of(reading) for reading in readings]
    flat = [s.text for review in reviews for s in review]
    spent = {"read_and_split_s": clock() - started}
    started = clock()
    tokens = model.tokenize(flat)
    spent["tokenize_s"] = clock() - started
    started = clock()
    embeddings = np.empty((len(flat), model.encoder.get_outputs()[0].shape[-1]), dtype=np.float32)
    for rows in width_batches(tokens.lengths, batch_size):
        embeddings[rows] = model.encode(tokens, rows)
    spent["encoder_s"] = clock() - started
    started = clock()
    scores, begin = [], 0
    for review in reviews:
        end = begin + len(review)
        rows = np.concatenate([embeddings[begin:end], structure_features(review)], axis=1)
        scores.append(sigmoid(model.logits(rows)) if len(review) else np.zeros(0))
        begin = end
    spent["head_s"] = clock() - started
    started = clock()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for index, (reading, probabilities) in enumerate(zip(readings, scores, strict=True)):
            annotation = annotation_of(reading, [SentenceScore(float(p)) for p in probabilities],
                                      detector.threshold)
            sink.write(json.dumps(findings(str(index), annotation)) + "\n")
    spent["render_s"] = clock() - started
    total = sum(spent.values())
    return {**spent, "total_s": total, "sentences": len(flat),
            **{k.removesuffix("_s") + "_share": v / total for k, v in spent.items()}}


BASELINE_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1] + "/benchmarks")
from run import end_to_end_rate  # the earlier checkout's own measurement of its own pipeline
from spoilerscan.model.detect import Detector
texts = json.load(open(sys.argv[2], encoding="utf-8"))
detector = Detector.load()
end_to_end_rate(detector, texts[:3])
rate, count = end_to_end_rate(detector, texts)
print(json.dumps({"end_to_end_sentences_per_s": rate, "end_to_end_sentences": count,
                  "engine": type(getattr(detector, "engine", detector)).__name__}))
"""


def measure_baseline(directory: Path, texts: list[str]) -> dict[str, object]:
    """End-to-end sentences/s of an earlier checkout (its code and its shipped model), in a child process."""
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "texts.json"
        corpus.write_text(json.dumps(texts), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(directory)}
        done = subprocess.run([sys.executable, "-c", BASELINE_PROBE, str(directory), str(corpus)], cwd=directory,
                              env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"baseline run failed: {done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    commit = subprocess.run(["git", "-C", str(directory), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    result.update({"checkout": str(directory), "commit": commit})
    print(f"baseline {directory} ({commit}): end-to-end {result['end_to_end_sentences_per_s']:.0f} sent/s", flush=True)
    return result


def available_precisions(model: Path | None) -> list[str]:
    from spoilerscan.model.detect import default_model_path
    from spoilerscan.model.engines import ENCODER_FILES

    directory = model if model is not None else default_model_path()
    return [p for p in PRECISIONS if (directory / ENCODER_FILES[p]).is_file()]


def timed_runs(command: list[str], runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
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
    from spoilerscan.model.detect import Detector
    from spoilerscan.model.engines import threads

    throughput: dict[str, object] = {}
    if args.baseline is not None:
        throughput["baseline"] = measure_baseline(args.baseline, texts)
    for precision in available_precisions(args.model):
        detector = Detector.load(args.model, precision=precision)
        raw_model_rate(detector, texts[:3], args.batch_size)  # warm-up of both paths
        end_to_end_rate(detector, texts[:3])
        raw = raw_model_rate(detector, texts, args.batch_size)
        e2e, counted = end_to_end_rate(detector, texts)
        throughput[precision] = {"raw_model_sentences_per_s": raw, "end_to_end_sentences_per_s": e2e,
                                 "end_to_end_sentences": counted, "ratio": e2e / raw, "onnx_threads": threads()}
        print(f"{precision}: model alone {raw:.0f} sent/s, end-to-end {e2e:.0f} sent/s "
              f"({counted} sentences), ratio {e2e / raw:.2f}", flush=True)
        if "baseline" in throughput:
            before = throughput["baseline"]["end_to_end_sentences_per_s"]  # type: ignore[index]
            throughput[precision]["speed-up_over_baseline"] = e2e / before  # type: ignore[index]
            print(f"{precision}: {e2e / before:.2f}x the baseline end-to-end", flush=True)
    return throughput


def measure_profile(args: argparse.Namespace, texts: list[str]) -> dict[str, object]:
    from spoilerscan.model.detect import Detector

    profile: dict[str, object] = {}
    for precision in available_precisions(args.model):
        detector = Detector.load(args.model, precision=precision)
        stage_profile(detector, texts[:3], args.batch_size)  # warm-up
        profile[precision] = spent = stage_profile(detector, texts, args.batch_size)
        shares = ", ".join(f"{k.removesuffix('_share')} {v:.0%}" for k, v in spent.items() if k.endswith("_share"))
        print(f"{precision} profile: {shares} of {spent['total_s']:.1f} s", flush=True)
    return profile


def measure_cold_start(args: argparse.Namespace, command: list[str], model_args: list[str],
                       sentences: list[str]) -> dict[str, object]:
    """Whole processes: --help, and redact of a 30-sentence review with each encoder and the default; with
    --baseline, the earlier checkout's code runs each command right after this one's (same load)."""
    from startup import paired_runs, review_of, where_time_goes

    with tempfile.TemporaryDirectory() as scratch:
        review = Path(scratch) / "review.txt"
        review.write_text(review_of(sentences), encoding="utf-8")
        commands = {"help": [*command, "--help"]}
        for precision in ("auto", *available_precisions(args.model)):
            commands[f"redact_{precision}"] = [*command, "redact", str(review), "--quiet", "--precision", precision,
                                               *model_args]
        cold: dict[str, Any] = {"review_sentences": 30, "runs": paired_runs(commands, args.runs, args.baseline)}
        cold["where_time_goes"] = where_time_goes(["redact", str(review), "--quiet", *model_args])
    runs = cold["runs"]
    print(f"cold start, median of {args.runs} (load {runs['load_1min']['min']:.1f}-{runs['load_1min']['max']:.1f}): "
          + "; ".join(f"{name} " + ", ".join(f"{side} {found['median_s']:.2f} s (cpu {found['cpu_median_s']:.2f})"
                                              for side, found in runs[name].items())
                      for name in commands), flush=True)
    phases = cold["where_time_goes"]["phases"]
    print("where a cold redact's time goes (profiled): " + ", ".join(
        f"{k.removesuffix('_s')} {v / phases['total_s']:.0%}" for k, v in phases.items() if k != "total_s"), flush=True)
    return cold


def measure_scan(args: argparse.Namespace, command: list[str], model_args: list[str],
                 texts: list[str]) -> dict[str, object]:
    """Whole `scan` processes over the corpus's reviews with the default precision and with each encoder,
    interleaved (the bar: the default in at most 0.6x the fp32 time, when int8 is the default)."""
    from startup import paired_runs

    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "reviews.jsonl"
        corpus.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)),
                          encoding="utf-8")
        commands = {f"scan_{precision}": [*command, "scan", str(corpus), "--jsonl-input", "--format", "jsonl", "-o",
                                          os.devnull, "--quiet", "--precision", precision, *model_args]
                    for precision in ("auto", *available_precisions(args.model))}
        runs = paired_runs(commands, args.scan_runs, None)
    result: dict[str, Any] = {"reviews": len(texts), "runs": runs}
    if "scan_fp32" in runs:
        fp32 = runs["scan_fp32"]["this"]["median_s"]
        result["default_over_fp32"] = runs["scan_auto"]["this"]["median_s"] / fp32
        if "scan_int8" in runs:
            result["int8_over_fp32"] = runs["scan_int8"]["this"]["median_s"] / fp32
    print(f"scan of {len(texts)} reviews, median of {args.scan_runs} (load {runs['load_1min']['min']:.1f}-"
          f"{runs['load_1min']['max']:.1f}): " + ", ".join(f"{name} {runs[name]['this']['median_s']:.1f} s"
                                                          for name in commands)
          + f"; default / fp32 {result.get('default_over_fp32', float('nan')):.2f}", flush=True)
    return result


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
            distinct = Path(scratch) / f"distinct-{size}.txt"
            distinct.write_text(distinct_review(sentences, target), encoding="utf-8")
            archive = Path(scratch) / f"archive-{size}.jsonl"
            with archive.open("w", encoding="utf-8") as out:
                written = number = 0
                while written < target:
                    line = json.dumps({"id": number, "text": reviews[number % len(reviews)]}) + "\n"
                    written += out.write(line)
                    number += 1
            parquet = Path(scratch) / f"archive-{size}.parquet"
            write_parquet_archive(parquet, reviews, target)
            for shape, path, extra in (("single", single, ["--format", "jsonl", "-o", os.devnull]),
                                       ("distinct", distinct, ["--format", "jsonl", "-o", os.devnull]),
                                       ("jsonl", archive, ["--jsonl-input", "--format", "jsonl", "-o", os.devnull]),
                                       ("parquet", parquet, ["--id-column", "id",
                                                             "-o", str(Path(scratch) / "out.parquet")])):
                if shape not in args.memory_inputs:
                    continue
                rss, wall = peak_rss_mb([*command, "scan", str(path), *extra, "--quiet", "--max-input-size",
                                         str(2 * target), *model_args])
                memory.append({"input": shape, "input_mb": size, "peak_rss_mb": rss, "wall_s": wall})
                print(f"memory: {size} MB {shape} -> peak RSS {rss:.0f} MB in {wall:.0f} s", flush=True)
    return memory


def distinct_review(sentences: list[str], target_bytes: int) -> str:
    """One review of about ``target_bytes`` whose sentences all differ: the corpus's, then again with the
    number of the round in front ("(2) ..."), so that the encoder runs for every sentence (``single``
    repeats the corpus, and a sentence that occurs again is encoded once)."""
    parts: list[str] = []
    written = round_ = 0
    while written < target_bytes:
        for sentence in sentences:
            parts.append(f"({round_}) {sentence}" if round_ else sentence)
            written += len(parts[-1].encode("utf-8")) + 1
            if written >= target_bytes:
                break
        round_ += 1
    return " ".join(parts) + "\n"


def write_parquet_archive(path: Path, reviews: list[str], target_bytes: int) -> int:
    """A Parquet file of (id, text) reviews cycling through ``reviews`` until the texts reach the size; its rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = written = 0
    with pq.ParquetWriter(path, pa.schema([("id", pa.int64()), ("text", pa.string())])) as writer:
        while written < target_bytes:
            chunk: list[str] = []
            while written < target_bytes and len(chunk) < 1000:
                chunk.append(reviews[(count + len(chunk)) % len(reviews)])
                written += len(chunk[-1].encode("utf-8"))
            writer.write_table(pa.table({"id": pa.array(range(count, count + len(chunk)), pa.int64()), "text": chunk}))
            count += len(chunk)
    return count


def measure_ray(args: argparse.Namespace, texts: list[str]) -> dict[str, object]:
    """Sentences/s of the archive path: one process, then Ray Data with 1 and 2 one-CPU workers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from spoilerscan.archive.distributed import ScoringSettings, scan_with_ray
    from spoilerscan.archive.parquet import Columns, scan_parquet
    from spoilerscan.model.detect import Detector
    from spoilerscan.settings import Settings

    columns = Columns("text", "id")
    settings = ScoringSettings(Settings(model_option=Path(args.model).resolve() if args.model else None,
                                        precision=args.ray_precision), columns)
    texts = texts * args.ray_copies
    batch = args.ray_batch_rows  # small enough that every worker gets blocks of this small archive
    results: dict[str, object] = {"precision": args.ray_precision, "reviews": len(texts), "batch_rows": batch}
    with tempfile.TemporaryDirectory() as scratch:
        big, small = Path(scratch) / "big.parquet", Path(scratch) / "small.parquet"
        pq.write_table(pa.table({"id": list(range(len(texts))), "text": texts}), big)
        pq.write_table(pa.table({"id": list(range(len(texts[:8]))), "text": texts[:8]}), small)
        out = Path(scratch) / "out.parquet"
        detector = Detector.load(args.model, precision=args.ray_precision)
        started = time.perf_counter()
        stats = scan_parquet(big, out, detector, detector.threshold, columns, batch_rows=batch)
        local = stats.sentences / (time.perf_counter() - started)
        results["single_process_sentences_per_s"] = local
        print(f"archive, one process ({args.ray_precision}): {local:.0f} sent/s", flush=True)
        for workers in (1, 2):
            timings = {}
            for name, path in (("small", small), ("big", big)):
                started = time.perf_counter()
                counted = scan_with_ray([str(path)], str(out), settings, workers=workers, cpus_per_worker=1,
                                        batch_rows=batch)
                timings[name] = (time.perf_counter() - started, counted.sentences if counted else 0)
            (t_small, n_small), (t_big, n_big) = timings["small"], timings["big"]
            steady = (n_big - n_small) / max(t_big - t_small, 1e-9)
            results[f"ray_{workers}_workers"] = {"wall_s": t_big, "sentences": n_big, "start_up_s": t_small,
                                                 "wall_sentences_per_s": n_big / t_big,
                                                 "steady_sentences_per_s": steady}
            print(f"ray, {workers} worker(s): {n_big / t_big:.0f} sent/s wall, {steady:.0f} sent/s after "
                  f"start-up ({t_small:.1f} s)", flush=True)
    one, two = results["ray_1_workers"], results["ray_2_workers"]
    for kind in ("steady", "wall"):
        before = one[f"{kind}_sentences_per_s"] or float("nan")  # type: ignore[index]
        results[f"scaling_1_to_2_{kind}"] = two[f"{kind}_sentences_per_s"] / before  # type: ignore[index]
    print(f"ray scaling 1 -> 2 workers: {results['scaling_1_to_2_steady']:.2f}x steady, "
          f"{results['scaling_1_to_2_wall']:.2f}x wall", flush=True)
    return results


PARTS = ("throughput", "profile", "cold", "scan", "memory", "ray")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="labelled data file to draw sentences from")
    parser.add_argument("--model", type=Path, default=None, help="model directory [shipped model]")
    parser.add_argument("--sentences", type=int, default=3000, help="sentences drawn from the corpus")
    parser.add_argument("--batch-size", type=int, default=64, help="sentences per encoder batch (the pipeline's)")
    parser.add_argument("--runs", type=int, default=5, help="runs per cold-start measurement")
    parser.add_argument("--scan-runs", type=int, default=3, help="runs per precision of the whole-process scan")
    parser.add_argument("--memory-mb", type=float, nargs="*", default=[1.0, 10.0],
                        help="input sizes of the memory runs (MB)")
    parser.add_argument("--memory-inputs", nargs="+", choices=MEMORY_INPUTS, default=list(MEMORY_INPUTS),
                        help="which inputs the memory runs scan [all]")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="what to measure [all]")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="an earlier checkout to measure end-to-end beside this one (its own model)")
    parser.add_argument("--ray-precision", default="auto", choices=("auto", "fp32", "int8"),
                        help="the encoder of the archive and ray runs [the model's default]")
    parser.add_argument("--ray-batch-rows", type=int, default=16, help="reviews per block in the archive and ray runs")
    parser.add_argument("--ray-copies", type=int, default=2, help="the corpus's reviews repeated this often for them")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "latest.json")
    args = parser.parse_args()

    from spoilerscan.errors import SpoilerscanError
    from spoilerscan.model.detect import Detector, default_model_path

    try:  # a missing or broken model or corpus fails here, before any measurement
        Detector.load(args.model)
        sentences = load_corpus(args.corpus, args.sentences)
    except SpoilerscanError as problem:
        parser.error(str(problem))
    command = spoilerscan_command()
    model_args = ["--model", str(args.model)] if args.model else []
    results: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "model": str(args.model or default_model_path()), "precisions": available_precisions(args.model),
        "corpus": str(args.corpus), "sentences": len(sentences), "batch_size": args.batch_size,
    }
    if "throughput" in args.parts:
        results["throughput"] = measure_throughput(args, reviews_of(sentences))
    if "profile" in args.parts:
        results["profile"] = measure_profile(args, reviews_of(sentences))
    if "cold" in args.parts:
        results["cold_start"] = measure_cold_start(args, command, model_args, sentences)
    if "scan" in args.parts:
        results["scan"] = measure_scan(args, command, model_args, reviews_of(sentences))
    if "memory" in args.parts:
        results["memory"] = measure_memory(args, sentences, command, model_args)
    if "ray" in args.parts:
        results["ray"] = measure_ray(args, reviews_of(sentences))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
