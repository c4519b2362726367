"""Model development: everything here needs the 'train' extra (torch, transformers, onnx, scikit-learn).

``data`` reads the labelled corpora as whole reviews, ``synthetic`` invents short reviews with
plain reveals, ``network`` is the review model in PyTorch, ``train`` fine-tunes and calibrates it,
``export`` writes the ONNX graphs the run time loads, ``evaluate`` measures held-out data and
``modelcard`` renders the card. Nothing outside this package imports it, except the ``train``
and ``evaluate`` commands (``spoilerscan.cli.training``) from inside their bodies.
"""
