"""Writing files so that none is ever lost: atomic replacement, backups, ownership kept.

``files`` is the one place a command writes a file it was given (``-o``, ``--in-place``, an
adapter): to a temporary file beside it, synced, then renamed over it, so that a crash or a full
disk leaves the old file or the new one, never half of one. It sits beside :mod:`spoilerscan.reading`
at the bottom of the layers, so that the model (an adapter's ``save``) can use it too.
"""
