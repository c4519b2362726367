"""Shared fixtures: a tiny review model trained here in seconds, and the shipped model where it exists.

The tiny model is a randomly initialised 2-layer, 32-wide BERT as the base encoder, trained by
:func:`spoilerscan.training.train.train` for a few steps on ``fixtures/tiny_labelled.csv``: a real model
directory (ONNX encoders fp32 and int8, head, tokenizer, metadata, card) whose scores mean nothing.
Its calibrated probabilities all lie strictly between 0 and 1, so ``--threshold 0`` flags every
sentence and ``--threshold 1`` flags none: the outcomes of the CLI tests are deterministic.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Property tests search at random where a developer runs them (that is how the quoted-HTML-block
# quadratic was found), and replay a fixed search under CI (CI=true, as .ci/run and hosted runners
# set it), so that a build's verdict does not depend on the draw. What a search finds becomes a
# family in tests/reading/pathological.py or an @example.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
FIXTURES = Path(__file__).parent / "fixtures"
TINY_LABELLED = FIXTURES / "tiny_labelled.csv"
REPO = Path(__file__).parent.parent
SHIPPED_MODEL = REPO / "models" / "spoiler-review"
# The shipped model is part of the repository: a checkout without it is broken, so its tests fail.
ON_MISSING_SHIPPED_MODEL: Callable[[str], Any] = pytest.fail
# The tiny random encoder puts different sentences at cosines of up to about 0.99, so in the tiny
# model only a sentence that restates a known spoiler word for word (cosine 1) counts as saying it.
TINY_KNOWN_SIMILARITY = 0.999

_WORDS = (
    "the a an and or but he she it they was is dies died killer reveal ending end twist "
    "secret father mother son love loved film book movie great good bad acting plot story "
    "i we you my this that of to in on at for with as by not really very ."
).split()
_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789,!?'\"-"


def build_tiny_base(directory: Path, seed: int = 0) -> Path:
    """A 2-layer, 32-wide random BERT with its tokenizer: a base encoder to train from."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    # Whole words for the commonest, then single characters, so that every word has an encoding.
    vocab = list(dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(_WORDS)), *_CHARACTERS,
                                *(f"##{c}" for c in _CHARACTERS if c.isalnum())]))
    vocab_file = directory / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(vocab_file), do_lower_case=True)
    assert len(tokenizer.get_vocab()) == len(vocab)  # (transformers 5 ignores vocab_file=: all [UNK])
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    return directory


def train_tiny_model(base: Path, out: Path, **overrides: Any) -> dict[str, Any]:
    """Train the tiny review model on the fixture (also its dev set) into ``out``; its metadata.

    One epoch of a few steps, a small head, short sentences; the head's learning rate is high
    enough that its logits spread and calibration keeps them apart (with a head that has hardly
    moved, Platt scaling fits a scale of 0 and every probability is the same).
    """
    from rich.console import Console

    from spoilerscan.training.train import TrainConfig, gather_data, train

    settings: dict[str, Any] = {"epochs": 1, "max_steps": 4, "batch_sentences": 16, "head_learning_rate": 3e-2,
                                "max_length": 64, "hidden": 16, "device": "cpu"}
    data = gather_data([TINY_LABELLED], [], [TINY_LABELLED])
    return train(TrainConfig(base=base, out=out, **(settings | overrides)), data, Console(file=io.StringIO()))


def model_metadata(directory: Path) -> dict[str, Any]:
    """A model directory's spoilerscan.json."""
    return json.loads((directory / "spoilerscan.json").read_text(encoding="utf-8"))


def update_metadata(directory: Path, **values: Any) -> None:
    """Set keys of a model directory's spoilerscan.json (the card is left as it is)."""
    meta = model_metadata(directory) | values
    (directory / "spoilerscan.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")


@pytest.fixture(scope="session")
def tiny_base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("tiny-base"))


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_base_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-model") / "model"
    train_tiny_model(tiny_base_dir, directory)
    update_metadata(directory, known_similarity=TINY_KNOWN_SIMILARITY)
    return directory


@pytest.fixture()
def tiny_model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A private copy that a test may damage."""
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


@pytest.fixture(scope="session")
def shipped_model_dir() -> Path:
    if not (SHIPPED_MODEL / "spoilerscan.json").is_file():
        ON_MISSING_SHIPPED_MODEL(f"the shipped model is missing from {SHIPPED_MODEL}")
    return SHIPPED_MODEL
