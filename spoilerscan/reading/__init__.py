"""How a review is read, before any model sees it: bytes to text, text to a document, a document to sentences.

``inputs`` reads files, globs, directories and stdin (refusing binary and undecodable input) and
writes files atomically; ``document`` is the one document model (lines, blocks of prose and their
kind, tags) and ``text`` reads Markdown, HTML and plain text into it; ``markup`` is the table of
spoiler markup that is both found (exempt text) and written (redaction styles); ``segment`` splits
a document into sentences with exact offsets; ``language`` tells whether a review is English.
Nothing here loads a model.
"""
