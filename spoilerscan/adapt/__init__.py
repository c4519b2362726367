"""A site's own judgement: fit an adapter to the spoilers its writers already marked (``spoilerscan adapt``).

``labels`` turns published reviews with marked spoilers and CSV/JSONL exports into labelled
reviews; ``fit`` fits the adapter (a regularised logistic head over the frozen model's embeddings
and logit, in numpy: no torch, no scikit-learn), measures it against the model on data it did not
see, and refuses when it does not help. The adapter itself is applied at run time by
:mod:`spoilerscan.model.adapter`.
"""
