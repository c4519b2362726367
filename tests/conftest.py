"""Shared fixtures: a tiny randomly initialised BERT saved as a spoilerscan model directory."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
SHIPPED_MODEL = REPO / "models" / "spoiler-minilm"

_WORDS = (
    "the a an and or but he she it they was is dies died killer reveal ending end twist "
    "secret father mother son love loved film book movie great good bad acting plot story "
    "i we you my this that of to in on at for with as by not really very ."
).split()


def build_tiny_model(directory: Path, threshold: float = 0.5, seed: int = 0) -> Path:
    """Write a 2-layer, 32-wide BERT classifier with its tokenizer and spoilerscan.json."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(_WORDS)),
             *"abcdefghijklmnopqrstuvwxyz0123456789,!?'\"-"]
    vocab_file = directory / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=2)
    BertForSequenceClassification(config).save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    (directory / "spoilerscan.json").write_text(json.dumps({"threshold": threshold, "max_length": 64}))
    return directory


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private ONNX export cache for the run (subprocesses inherit it), never the user's."""
    directory = tmp_path_factory.mktemp("onnx-cache")
    os.environ["SPOILERSCAN_CACHE_DIR"] = str(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_context_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model as a context model: it reads each sentence paired with its neighbours."""
    directory = build_tiny_model(tmp_path_factory.mktemp("tiny-context-model"))
    (directory / "spoilerscan.json").write_text(json.dumps({"threshold": 0.5, "max_length": 64, "context": True}))
    return directory


@pytest.fixture()
def tiny_model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A private copy that a test may damage."""
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


@pytest.fixture(scope="session")
def shipped_model_dir() -> Path:
    if not (SHIPPED_MODEL / "model.safetensors").is_file():
        pytest.fail(f"the shipped model is missing from {SHIPPED_MODEL}")
    return SHIPPED_MODEL
