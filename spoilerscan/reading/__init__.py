"""How a review is read, before any model sees it: bytes to text, text to a document, a document to sentences.

``inputs`` reads files, globs, directories and stdin (refusing binary and undecodable input) and
writes files atomically; ``text`` is the one document model (lines, blocks of prose and their
kind, tags) for Markdown, HTML and plain text; ``markup`` is the table of spoiler markup that is
both found (exempt text) and written (redaction styles); ``segment`` splits a document into
sentences with exact offsets; ``language`` tells whether a review is English. Nothing here
loads a model.
"""
