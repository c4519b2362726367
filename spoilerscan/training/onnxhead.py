"""A model directory's review head read back from its ``head.onnx`` into torch, to fine-tune it.

Why: the torch weights of a shipped model stay with its training run (they are not committed), but
the head's ONNX graph holds every weight. Starting a new head from the old one keeps what it ranks
well and moves only what the new training data asks for, in one short epoch.

The export (:func:`spoilerscan.training.export.export_head`) writes the projection and output
layers as MatMul weights (input x output) and the GRU in ONNX's gate order (update, reset, hidden),
where torch keeps (reset, update, new).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from spoilerscan.errors import ModelError


def _gru_order(block: np.ndarray, hidden: int) -> np.ndarray:
    """ONNX's (z, r, h) row blocks as torch's (r, z, n)."""
    z, r, h = block[:hidden], block[hidden : 2 * hidden], block[2 * hidden :]
    return np.concatenate([r, z, h])


def load_onnx_head(path: Path, dropout: float = 0.2) -> Any:
    """The :class:`~spoilerscan.training.network.ReviewHead` whose exported graph is ``path`` (a plain head)."""
    import onnx
    import torch
    from onnx import numpy_helper

    from spoilerscan.model.features import FEATURES
    from spoilerscan.training.network import ReviewHead

    graph = onnx.load(str(path)).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    gru = next((n for n in graph.node if n.op_type == "GRU"), None)
    matmuls = [n for n in graph.node if n.op_type == "MatMul"]
    if gru is None or len(matmuls) != 2 or any(n.op_type == "ReduceMean" for n in graph.node):
        raise ModelError(f"{path}: not a plain review head (one GRU between two layers) that can be read back")
    project, out = weights[matmuls[0].input[1]], weights[matmuls[1].input[1]]
    w, r, b = (weights[name] for name in gru.input[1:4])
    hidden = r.shape[-1]
    head = ReviewHead(project.shape[0] - len(FEATURES), project.shape[1], dropout)
    state = {
        "project.1.weight": project.T, "project.1.bias": weights["project.1.bias"],
        "out.1.weight": out.T, "out.1.bias": weights["out.1.bias"],
    }
    for direction, suffix in enumerate(("", "_reverse")):
        state[f"gru.weight_ih_l0{suffix}"] = _gru_order(w[direction], hidden)
        state[f"gru.weight_hh_l0{suffix}"] = _gru_order(r[direction], hidden)
        state[f"gru.bias_ih_l0{suffix}"] = _gru_order(b[direction][: 3 * hidden], hidden)
        state[f"gru.bias_hh_l0{suffix}"] = _gru_order(b[direction][3 * hidden :], hidden)
    head.load_state_dict({name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in state.items()})
    return head
