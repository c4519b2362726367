"""Errors a user can cause, each with the exit code the CLI documents."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class SpoilerscanError(Exception):
    """A failure caused by input or setup, reported as one line on stderr, never a traceback."""

    exit_code = EXIT_USAGE


class InputError(SpoilerscanError):
    """A review could not be read: missing, a directory, binary, or not decodable."""


class DataFormatError(SpoilerscanError):
    """Labelled data does not have the columns or labels we accept."""


class ModelError(SpoilerscanError):
    """The model directory is missing, incomplete or corrupt."""
