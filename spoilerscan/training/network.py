"""The review model in PyTorch, for training and for the one-time export to ONNX.

Two parts, exported as two ONNX graphs so that each sentence is encoded once however long the
review is: a sentence encoder (a transformer, mean-pooled and L2-normalised, as
sentence-transformers does for all-MiniLM-L6-v2) and a review head, a bidirectional GRU over the
review's sentence embeddings plus structure features (:mod:`spoilerscan.model.features`) that gives one
spoiler logit per sentence. Run time needs neither torch nor this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from spoilerscan.model.features import FEATURES


class SentenceEncoder(nn.Module):
    """A transformer whose mean-pooled, L2-normalised output is the sentence embedding."""

    def __init__(self, transformer: Any) -> None:
        super().__init__()
        self.transformer = transformer

    @property
    def dim(self) -> int:
        return int(self.transformer.config.hidden_size)

    @classmethod
    def load(cls, directory: Path) -> SentenceEncoder:
        from transformers import AutoModel

        return cls(AutoModel.from_pretrained(directory, dtype=torch.float32))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        hidden = self.transformer(**inputs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return nn.functional.normalize(pooled, dim=-1)


class ReviewHead(nn.Module):
    """Per-sentence spoiler logits from a review's sentence embeddings and structure features.

    The projection keeps what each sentence says on its own; the GRU adds what the sentences
    around it say, both ways; the output layer reads both, so a reveal among opinions can stand
    out rather than be averaged away. With ``contrast``, the projection also reads each sentence's
    embedding less the mean of its review's: what sets it apart from the company it keeps (computed
    inside the graph, so run time feeds the head exactly as before).
    """

    def __init__(self, dim: int, hidden: int = 128, dropout: float = 0.2, contrast: bool = False) -> None:
        super().__init__()
        self.dim, self.hidden, self.contrast = dim, hidden, contrast
        width = dim + len(FEATURES) + (dim if contrast else 0)
        self.project = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, hidden), nn.GELU())
        self.gru = nn.GRU(hidden, hidden // 2, batch_first=True, bidirectional=True)
        self.out = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, 1))

    def with_contrast(self, features: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """The rows with each sentence's embedding less its review's mean embedding appended."""
        embeddings = features[..., : self.dim]
        if lengths is None:
            mean = embeddings.mean(1, keepdim=True)
        else:
            mask = (torch.arange(features.shape[1], device=features.device)[None, :]
                    < lengths.to(features.device)[:, None]).unsqueeze(-1).to(features.dtype)
            mean = (embeddings * mask).sum(1, keepdim=True) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return torch.cat([features, embeddings - mean], -1)

    def forward(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``features``: (reviews, sentences, dim + features), padded; ``lengths``: real sentence counts."""
        projected = self.project(self.with_contrast(features, lengths) if self.contrast else features)
        if lengths is None:  # one unpadded review: what the exported graph computes
            around, _ = self.gru(projected)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(projected, lengths.cpu(), batch_first=True,
                                                       enforce_sorted=False)
            around, _ = self.gru(packed)
            around, _ = nn.utils.rnn.pad_packed_sequence(around, batch_first=True, total_length=features.shape[1])
        return self.out(torch.cat([projected, around], -1)).squeeze(-1)
