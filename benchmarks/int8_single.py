"""Does the int8 encoder keep its speed when each sentence is its own run (batch-invariant scores)?

    python benchmarks/int8_single.py --corpus ../shared/data/tvtropes/test.csv --sentences 1000

ONNX Runtime's dynamic int8 quantises activations with one scale per run, so a sentence's probability
moves with what shares its encoder run (docs/performance.md: up to 0.076). Run alone (``batch_size=1``),
a sentence is quantised with its own scale only: the same sentence gets the same score wherever it
stands. This measures, in one process and interleaved: the end-to-end rate (read, split, tokenize,
encode, head, JSON) of fp32 in batches (the default), int8 in batches, and int8 one sentence per run;
how far each one's embeddings move when the same sentences are run in another order and company; and,
for a labelled corpus, each one's sentence ROC-AUC (every sentence read as a review of its own).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from run import end_to_end_rate, load_corpus, reviews_of

CONFIGS = {"fp32, batches of 64": ("fp32", 64), "int8, batches of 64": ("int8", 64),
           "int8, one sentence per run": ("int8", 1)}


def drift(detector: object, sentences: list[str]) -> float:
    """Largest change of the embedding of one of the first 32 sentences between a run beside the next 32 and
    a run beside the 32 after those (the same sentence in other company)."""
    mine, one, other = sentences[:32], sentences[32:64], sentences[64:96]
    first = detector.embed(mine + one)[: len(mine)]  # type: ignore[attr-defined]
    second = detector.embed(mine + other)[: len(mine)]  # type: ignore[attr-defined]
    return float(np.abs(first - second).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the three rates")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the results here as JSON")
    args = parser.parse_args()

    from spoilerscan.model.detect import Detector
    from spoilerscan.training.data import load_reviews, sentence_rows

    sentences = list(dict.fromkeys(load_corpus(args.corpus, args.sentences)))
    texts = reviews_of(sentences)
    detectors = {name: Detector.load(args.model, precision=precision, batch_size=batch)
                 for name, (precision, batch) in CONFIGS.items()}
    for detector in detectors.values():
        end_to_end_rate(detector, texts[:2])  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in CONFIGS}
    for _ in range(args.rounds):
        for name, detector in detectors.items():
            rates[name].append(end_to_end_rate(detector, texts)[0])
    results: dict[str, object] = {"corpus": str(args.corpus), "sentences": len(sentences), "rounds": args.rounds}
    labelled = [(text, label) for text, label in sentence_rows(load_reviews(args.corpus))][: args.sentences]
    for name, detector in detectors.items():
        found = {"end_to_end_sentences_per_s": float(np.median(rates[name])), "drift": drift(detector, sentences)}
        if len({label for _, label in labelled}) == 2:
            from sklearn.metrics import roc_auc_score

            started = time.perf_counter()
            scores = detector.score([text for text, _ in labelled])
            found["roc_auc"] = float(roc_auc_score([label for _, label in labelled], scores))
            found["score_s"] = time.perf_counter() - started
        results[name] = found
        print(f"{name}: {found['end_to_end_sentences_per_s']:.0f} sent/s end to end (median of {args.rounds}), "
              f"embedding drift in other company {found['drift']:.2g}"
              + (f", ROC-AUC {found['roc_auc']:.4f} on {len(labelled)} sentences" if "roc_auc" in found else ""),
              flush=True)
    fp32 = results["fp32, batches of 64"]["end_to_end_sentences_per_s"]  # type: ignore[index]
    for name in CONFIGS:
        print(f"{name}: {results[name]['end_to_end_sentences_per_s'] / fp32:.2f}x fp32's rate")  # type: ignore[index]
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
