"""Ways to run the classifier: PyTorch (training, int8) and ONNX Runtime (the fast default).

A short run is dominated by start-up, not scoring: importing torch and transformers and building
the model take about 3 s, while ONNX Runtime and the ``tokenizers`` library start in well under
one. So fp32 scoring runs on ONNX Runtime. Its model file is derived from the model directory's
safetensors weights, exported once with torch and cached (``SPOILERSCAN_CACHE_DIR``, else
``$XDG_CACHE_HOME/spoilerscan``, else ``~/.cache/spoilerscan``), keyed by the weights' hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from spoilerscan.errors import ModelError

# Padding lengths to a multiple of 16 keeps the number of distinct tensor shapes small: with
# every length its own shape, CPU memory grew with each new shape (758 MB at 0.25 MB of input,
# 969 MB at 1 MB); the extra padding costs little.
PAD_MULTIPLE = 16
# Bump when the export changes, so that stale cached files are not used.
EXPORT_FORMAT = "1"
ONNX_OPSET = 17
ENGINE_NAMES = ("auto", "onnx", "torch")


class Engine(Protocol):
    """Turns batches of sentences (and optional paired contexts) into spoiler probabilities."""

    name: str  # "torch" or "onnx"
    precision: str  # "fp32" or "int8"

    def encode(self, sentences: list[str], pairs: list[str] | None) -> Any:
        """Padded model inputs for one batch."""
        ...

    def probabilities(self, inputs: Any) -> list[float]:
        """Spoiler probability of each row of an encoded batch."""
        ...


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class TorchEngine:
    """A transformers sequence classifier on PyTorch; also what training drives."""

    name = "torch"

    def __init__(self, model: Any, tokenizer: Any, max_length: int = 128, precision: str = "fp32") -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.precision = precision

    @classmethod
    def load(cls, directory: Path, max_length: int = 128, quantize: bool = False) -> TorchEngine:
        """Load a model directory; ``quantize`` applies dynamic int8 quantisation to linear layers."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            tokenizer = AutoTokenizer.from_pretrained(directory)
            model = AutoModelForSequenceClassification.from_pretrained(directory, dtype=torch.float32)
        except Exception as error:  # corrupt files surface as many exception types
            raise ModelError(f"model directory {directory} could not be loaded: {error}".splitlines()[0]) from None
        model.eval()
        if quantize:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch's notes on its own deprecated API are not the user's business
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return cls(model, tokenizer, max_length, "int8" if quantize else "fp32")

    def tokenize(self, sentences: list[str], pairs: list[str] | None) -> Any:
        """Unpadded token ids: a sentence, or a sentence-context pair."""
        if pairs is not None:
            return self.tokenizer(sentences, pairs, truncation=True, max_length=self.max_length)
        return self.tokenizer(sentences, truncation=True, max_length=self.max_length)

    def encode(self, sentences: list[str], pairs: list[str] | None) -> Any:
        return self.tokenizer.pad(self.tokenize(sentences, pairs), pad_to_multiple_of=PAD_MULTIPLE,
                                  return_tensors="pt")

    def probabilities(self, inputs: Any) -> list[float]:
        import torch

        with torch.inference_mode():
            logits = self.model(**inputs).logits
        return torch.softmax(logits.float(), dim=-1)[:, 1].tolist()


class OnnxEngine:
    """The same classifier exported to ONNX, run by ONNX Runtime with the ``tokenizers`` library."""

    name = "onnx"
    precision = "fp32"

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.input_names = [entry.name for entry in session.get_inputs()]

    @classmethod
    def load(cls, onnx_file: Path, directory: Path, max_length: int = 128) -> OnnxEngine:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = _threads()
        options.log_severity_level = 3  # errors only
        try:
            session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            settings = json.loads((directory / "tokenizer_config.json").read_text(encoding="utf-8")) \
                if (directory / "tokenizer_config.json").is_file() else {}
        except Exception as error:  # corrupt files surface as many exception types
            raise ModelError(f"model {onnx_file} could not be loaded: {error}".splitlines()[0]) from None
        pad_token = settings.get("pad_token", "[PAD]")
        pad_id = tokenizer.token_to_id(pad_token)
        # The same truncation and padding the transformers tokenizer applies in TorchEngine.
        tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token,
                                 pad_type_id=int(settings.get("pad_token_type_id", 0)),
                                 pad_to_multiple_of=PAD_MULTIPLE)
        return cls(session, tokenizer)

    def encode(self, sentences: list[str], pairs: list[str] | None) -> dict[str, Any]:
        import numpy as np

        batch = self.tokenizer.encode_batch(list(zip(sentences, pairs, strict=True)) if pairs is not None
                                            else sentences)
        columns = {"input_ids": [e.ids for e in batch], "attention_mask": [e.attention_mask for e in batch],
                   "token_type_ids": [e.type_ids for e in batch]}
        return {name: np.asarray(columns[name], dtype=np.int64) for name in self.input_names}

    def probabilities(self, inputs: dict[str, Any]) -> list[float]:
        import numpy as np

        logits = self.session.run(None, inputs)[0].astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return (exp[:, 1] / exp.sum(axis=1)).tolist()


def cache_dir() -> Path:
    configured = os.environ.get("SPOILERSCAN_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "spoilerscan"


def onnx_file_for(directory: Path) -> Path:
    """Where the ONNX export of a model directory is cached: named by a hash of its weights."""
    digest = hashlib.sha256(EXPORT_FORMAT.encode())
    for name in ("config.json", "model.safetensors"):
        with open(directory / name, "rb") as file:
            digest.update(hashlib.file_digest(file, "sha256").digest())
    return cache_dir() / f"{directory.name}-{digest.hexdigest()[:20]}.onnx"


def export_onnx(directory: Path, target: Path, max_length: int = 128,
                on_export: Callable[[], None] | None = None) -> None:
    """Export a model directory to an ONNX file (written atomically: concurrent runs are safe).

    ``on_export`` hears when the model has loaded and the (slower) export begins.
    """
    import torch

    engine = TorchEngine.load(directory, max_length)
    if on_export is not None:
        on_export()
    sample = engine.encode(["A sentence to trace.", "And a second, longer sentence to trace."],
                           ["Its context.", "Context."])
    names = list(sample.keys())

    class LogitsOnly(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> Any:
            return self.model(**dict(zip(names, tensors, strict=True))).logits

    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about Python control flow; checked by tests instead
            torch.onnx.export(LogitsOnly(engine.model), tuple(sample[n] for n in names), str(partial),
                              dynamo=False, input_names=names, output_names=["logits"],
                              dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": {0: "batch"}},
                              opset_version=ONNX_OPSET)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def load_onnx_engine(directory: Path, max_length: int = 128,
                     on_export: Callable[[], None] | None = None) -> OnnxEngine:
    """The ONNX Runtime engine for a model directory, exporting it to the cache on first use.

    A cached file that no longer loads (damaged, or from an incompatible ONNX Runtime) is exported
    again rather than sending every later run down the slow path.
    """
    import onnxruntime  # noqa: F401  (fail early, before any export, where it is not installed)

    onnx_file = onnx_file_for(directory)
    if onnx_file.is_file():
        try:
            return OnnxEngine.load(onnx_file, directory, max_length)
        except ModelError:
            onnx_file.unlink(missing_ok=True)
    try:
        onnx_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelError(f"cannot cache the ONNX model in {onnx_file.parent}: {error.strerror}") from None
    if not os.access(onnx_file.parent, os.W_OK):
        raise ModelError(f"cannot cache the ONNX model in {onnx_file.parent}: not writable")
    try:
        export_onnx(directory, onnx_file, max_length, on_export)
    except ModelError:
        raise
    except Exception as error:
        raise ModelError(f"could not export {directory} to ONNX in {onnx_file.parent}: {error}"
                         .splitlines()[0]) from None
    return OnnxEngine.load(onnx_file, directory, max_length)
