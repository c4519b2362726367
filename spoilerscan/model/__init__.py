"""The spoiler model at run time: ONNX Runtime and ``tokenizers``, no torch.

``detect`` holds the :class:`~spoilerscan.model.detect.Detector` (load a model directory, score
the sentences of whole reviews, annotate a text) and the scoring protocols other layers accept;
``engines`` runs the exported ONNX graphs; ``features`` is what the review head reads about each
sentence besides its words.
"""
