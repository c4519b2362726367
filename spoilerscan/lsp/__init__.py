"""``spoilerscan lsp``: a Language Server Protocol server that shows unmarked spoilers as the review is written.

Needs the ``lsp`` extra (pygls, lsprotocol). The pieces, each small:

* ``positions``: LSP positions in the negotiated encoding (UTF-16 by default), one line table per
  document version; ``documents``: the open documents as immutable snapshots;
* ``settings``: the editor's settings; ``projects``: each document's ``[tool.spoilerscan]``;
  ``models``: models loaded in the background, each with an embedding cache and a scoring engine;
* ``checking``: one check of one snapshot (``check``'s findings, over :mod:`spoilerscan.service`);
* features: ``diagnostics`` (debounced, versioned), ``actions`` (quick fixes, their edits in
  ``edits``), ``hover``; ``server``: the pygls server that wires them, built by ``create_server``.
"""

from __future__ import annotations

from spoilerscan.lsp.server import ServerOptions, SpoilerscanServer, create_server

__all__ = ["ServerOptions", "SpoilerscanServer", "create_server"]
