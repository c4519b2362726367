"""What several test packages share: stubs and file helpers (checkstub), the rendering helpers
(rendering), a real browser (browser), a served process (serverprocess) and an LSP client over
stdio (lspclient). Test modules import them from here."""
