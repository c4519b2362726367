"""Model development: everything here needs the 'train' extra (torch, transformers, onnx, scikit-learn).

``data`` reads the labelled corpora as whole reviews, ``synthetic`` invents short reviews with
plain reveals, ``network`` is the review model in PyTorch, ``batches`` groups reviews into
training batches with their class weights, ``train`` fine-tunes it, ``calibration`` calibrates
it and chooses the two thresholds on dev, ``export`` writes the ONNX graphs the run time loads
(``quantize`` makes the int8 encoder), ``modeldir`` writes the model directory (weights, metadata,
card), ``evaluate`` measures held-out data and ``modelcard`` renders the card. Nothing outside
this package imports it, except the ``train`` and ``evaluate`` commands (``spoilerscan.cli.training``)
from inside their bodies (import-linter contracts in pyproject.toml; tests/test_layering.py).
"""
