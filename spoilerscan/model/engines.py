"""Run the review model on ONNX Runtime with the ``tokenizers`` library: no torch at run time.

A model directory holds the two graphs that training exported (:mod:`spoilerscan.training.export`): the
sentence encoder, in fp32 (``encoder.onnx``) and/or int8 (``encoder-int8.onnx``), and the review
head (``head.onnx``). Importing torch and transformers took about 1.6 s of every short run; ONNX
Runtime and ``tokenizers`` start in a fraction of that, and a user's install needs neither.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from spoilerscan.errors import ModelError

ENCODER_FILES = {"fp32": "encoder.onnx", "int8": "encoder-int8.onnx"}
HEAD_FILE = "head.onnx"
TOKENIZER_FILE = "tokenizer.json"
# Padding lengths to a multiple of 16 keeps the number of distinct tensor shapes small: with
# every length its own shape, CPU memory grew with each new shape.
PAD_MULTIPLE = 16


def padded_width(lengths: np.ndarray) -> np.ndarray:
    """The width a batch of sentences of these token counts is run at: rounded up to PAD_MULTIPLE."""
    return -(-np.maximum(lengths, 1) // PAD_MULTIPLE) * PAD_MULTIPLE


def width_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Rows of tokenized sentences in encoder batches: in token order, at most ``batch_size`` each, and no
    batch spans two padded widths, so that no sentence is padded beyond its own width rounded up to
    PAD_MULTIPLE (a 30-sentence review run as one batch of its longest sentence's width was 1,440 token
    slots for 668 tokens; cut at widths, 848). Each width's rows are split into equal batches."""
    order = np.argsort(lengths, kind="stable")
    widths = padded_width(np.asarray(lengths)[order])
    batches: list[np.ndarray] = []
    for group in np.split(order, np.flatnonzero(np.diff(widths)) + 1):
        if len(group):
            batches.extend(np.array_split(group, -(-len(group) // batch_size)))
    return batches


def threads() -> int:
    """The cores this process may use (ONNX Runtime would otherwise count the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _session(path: Path, intra_op_threads: int | None = None, spinning: bool = False) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = intra_op_threads or threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    # Idle pool threads sleep instead of spinning unless asked: on a shared machine a spinning thread holds
    # a core that the thread with work is waiting for (a cold redact at load 4-5 on 2 cores: 1.65 s spinning,
    # 1.26 s not; scan of 900 sentences 13.6 s against 10.8 s).
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # a damaged file surfaces as many exception types
        raise ModelError(f"model file {path} could not be loaded: {error}".splitlines()[0]) from None


def _check_graphs(encoder_file: Path, encoder: Any, head_file: Path, head: Any) -> None:
    """Refuse graphs that load but are not a sentence encoder and a review head for it (a swapped or
    foreign file), here in one line rather than with a traceback from the first run."""
    from spoilerscan.model.features import FEATURES

    inputs = [entry.name for entry in encoder.get_inputs()]
    if not {"input_ids", "attention_mask"} <= set(inputs) <= {"input_ids", "attention_mask", "token_type_ids"}:
        raise ModelError(f"model file {encoder_file} is not a sentence encoder (its inputs: {', '.join(inputs)})")
    width = encoder.get_outputs()[0].shape[-1]  # an int: the export fixes all but the batch axis
    features = head.get_inputs()
    if len(features) != 1 or features[0].name != "features" or (
            isinstance(width, int) and features[0].shape[-1] != width + len(FEATURES)):
        raise ModelError(f"model file {head_file} is not a review head for the encoder {encoder_file.name}")


@dataclass(frozen=True, slots=True)
class Tokens:
    """Sentences tokenized together: (sentences, width) id, mask and type arrays, and each one's length."""

    ids: np.ndarray
    mask: np.ndarray
    types: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)


class OnnxModel:
    """The sentence encoder and the review head, each an ONNX Runtime session, and the tokenizer."""

    def __init__(self, encoder: Any, head: Any, tokenizer: Any, precision: str, workers: int = 1) -> None:
        self.encoder = encoder
        self.head = head
        self.tokenizer = tokenizer
        self.precision = precision
        self.input_names = [entry.name for entry in encoder.get_inputs()]
        self.workers = workers  # threads that run single-sentence encoder runs side by side (int8)
        self._pool: Any = None
        if workers > 1:  # made here, not on first use: callers on several threads (serve) share one pool
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="spoilerscan-encoder")

    @classmethod
    def load(cls, directory: Path, precision: str = "fp32", max_length: int = 128,
             intra_op_threads: int | None = None, spinning: bool = False) -> OnnxModel:
        """Open a model directory's graphs; ``intra_op_threads`` defaults to the cores this process may use
        (a Ray actor gives the CPUs it reserved, so that actors sharing a machine do not oversubscribe it).
        Idle pool threads sleep at once (``spinning=True``: they spin a while, waiting for work): whatever
        shares the cores, a service's event loop or another process, runs and lets the model run sooner."""
        from tokenizers import Tokenizer

        encoder_file = directory / ENCODER_FILES[precision]
        if not encoder_file.is_file():
            raise ModelError(f"model directory {directory} has no {precision} encoder ({encoder_file.name})")
        try:
            tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
            settings_file = directory / "tokenizer_config.json"
            settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.is_file() else {}
        except Exception as error:  # a damaged file surfaces as many exception types
            raise ModelError(f"model directory {directory}: bad tokenizer ({error})".splitlines()[0]) from None
        pad_token = settings.get("pad_token", "[PAD]")
        pad_id = tokenizer.token_to_id(pad_token)
        tokenizer.enable_truncation(max_length=max_length)
        tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token,
                                 pad_to_multiple_of=PAD_MULTIPLE)
        cores = intra_op_threads or threads()
        # int8 runs one sentence per run (see encode_alone): one thread each, the cores side by side
        encoder = _session(encoder_file, 1 if precision == "int8" else cores, spinning)
        head = _session(directory / HEAD_FILE, intra_op_threads, spinning)
        _check_graphs(encoder_file, encoder, directory / HEAD_FILE, head)
        return cls(encoder, head, tokenizer, precision, cores if precision == "int8" else 1)

    @property
    def embedding_size(self) -> int:
        """The width of the encoder's sentence embeddings (what the head reads, less its structure features)."""
        from spoilerscan.model.features import FEATURES

        return int(self.head.get_inputs()[0].shape[-1]) - len(FEATURES)

    def tokenize(self, sentences: Sequence[str]) -> Tokens:
        """Tokenize many sentences in one call (the tokenizer's own threads), so that they can be
        sorted by their length in tokens and batched with little padding."""
        encodings = self.tokenizer.encode_batch(list(sentences))
        width = len(encodings[0].ids) if encodings else 0  # the tokenizer pads all to one length
        shape = (len(encodings), width)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64).reshape(shape)
        return Tokens(np.asarray([e.ids for e in encodings], dtype=np.int64).reshape(shape), mask,
                      np.asarray([e.type_ids for e in encodings], dtype=np.int64).reshape(shape), mask.sum(axis=1))

    def encode(self, tokens: Tokens, rows: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """(rows, dim) unit-length embeddings of some tokenized sentences (all by default), run as one
        batch cut to its longest member's length, rounded up to a multiple of PAD_MULTIPLE."""
        chosen = np.arange(len(tokens)) if rows is None else np.asarray(rows, dtype=np.int64)
        width = min(tokens.ids.shape[1], int(padded_width(tokens.lengths[chosen]).max(initial=PAD_MULTIPLE)))
        columns = {"input_ids": tokens.ids, "attention_mask": tokens.mask, "token_type_ids": tokens.types}
        inputs = {name: np.ascontiguousarray(columns[name][chosen, :width]) for name in self.input_names}
        return np.asarray(self.encoder.run(None, inputs)[0], dtype=np.float32)

    def runs(self, tokens: Tokens, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(rows, embeddings) of every tokenized sentence, run by run: fp32 in batches of one padded width
        (:func:`width_batches`), int8 one sentence a run (:meth:`encode_alone`), whatever ``batch_size`` says."""
        if self.precision == "int8":
            yield from ((np.array([row]), vector) for row, vector in enumerate(self.encode_alone(tokens)))
        else:
            yield from ((rows, self.encode(tokens, rows)) for rows in width_batches(tokens.lengths, batch_size))

    def encode_alone(self, tokens: Tokens) -> Iterator[np.ndarray]:
        """Each tokenized sentence's (1, dim) embedding from a run of its own, in order, ``workers`` runs at a
        time. Why: dynamic int8 quantises a run's activations with one scale, so in a batch a sentence's
        embedding moves with its companions; alone it is its own. A run of one short sentence keeps a single
        core busy, so the cores take one sentence each (ONNX Runtime lets threads share a session)."""
        rows = [np.array([row]) for row in range(len(tokens))]
        if self._pool is None or len(rows) <= 1:
            yield from (self.encode(tokens, row) for row in rows)
            return
        yield from self._pool.map(lambda row: self.encode(tokens, row), rows)

    def embed(self, sentences: Sequence[str]) -> np.ndarray:
        """(sentences, dim) unit-length embeddings of one batch, each sentence read on its own."""
        return self.encode(self.tokenize(sentences))

    def logits(self, features: np.ndarray) -> np.ndarray:
        """(sentences,) calibrated spoiler logits of one review from its (sentences, dim + features) rows."""
        return np.asarray(self.head.run(None, {"features": features[np.newaxis]})[0][0], dtype=np.float64)
