"""Read reviews from files, directories, globs or stdin, refusing what is not text."""

from __future__ import annotations

import glob
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from spoilerscan.errors import InputError

STDIN = "-"
REVIEW_SUFFIXES = (".md", ".markdown", ".txt", ".text", ".html", ".htm", ".rst")
_SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Review:
    name: str  # the path as given, or "-" for stdin
    text: str
    path: Path | None = None


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM is kept, so output can restore it), or an InputError saying why not."""
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(f"{name}: binary file (contains NUL bytes), not a text review")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def _open(name: str) -> BinaryIO:
    """A binary handle on a path, or on stdin for ``-``; problems become one-line InputErrors."""
    if name == STDIN:
        return sys.stdin.buffer
    if os.path.isdir(name):
        raise InputError(f"{name}: is a directory (use --recursive to read the reviews in it)")
    try:
        return open(name, "rb")  # the caller closes it
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as error:
        raise InputError(f"{name}: cannot read ({error.strerror})") from None


def read_review(name: str) -> Review:
    """Read one review from a path, or from stdin when ``name`` is ``-``."""
    handle = _open(name)
    try:
        data = handle.read()
    except OSError as error:
        raise InputError(f"{name}: cannot read ({error.strerror})") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    return Review(name, decode(data, "<stdin>" if name == STDIN else name), None if name == STDIN else Path(name))


def iter_jsonl_reviews(name: str, report: Callable[[str], None]) -> Iterator[Review]:
    """Stream reviews from JSONL of ``{"id": …, "text": …}`` lines, one line in memory at a time.

    A bad line is passed to ``report`` and skipped; reviews without an id are named file:line.
    """
    handle = _open(name)
    try:
        for number, raw in enumerate(handle, start=1):
            where = f"{'<stdin>' if name == STDIN else name}:{number}"
            try:
                line = decode(raw, where)
            except InputError as problem:
                report(str(problem))
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = record["text"]
                if not isinstance(text, str):
                    raise TypeError
            except (json.JSONDecodeError, KeyError, TypeError):
                report(f"{where}: expected a JSON object with a string 'text'")
                continue
            yield Review(str(record.get("id", where)), text)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def expand_inputs(names: list[str], recursive: bool = False) -> Iterator[str]:
    """Turn command-line arguments into review names: stdin, files, globs, directory contents.

    Nothing given means stdin. Names that do not exist are passed on so reading reports them.
    """
    if not names:
        names = [STDIN]
    for name in names:
        if name != STDIN and not os.path.exists(name) and glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            yield from (m for m in matches if os.path.isfile(m)) if matches else [name]
        elif recursive and os.path.isdir(name):
            for path in sorted(Path(name).rglob("*")):
                if path.is_file() and path.suffix.lower() in REVIEW_SUFFIXES:
                    yield str(path)
        else:
            yield name


def _new_file_mode() -> int:
    """The permissions ``open()`` would give a new file (mkstemp's are private, 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves either the old or the new file.

    A symlink is followed (its target is rewritten, the link stays); a file that cannot be
    written is an InputError, reported in one line.
    """
    name, path = path, Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode if path.exists() else _new_file_mode()
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputError(f"{name}: cannot write ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(f"{name}: cannot write ({error.strerror or error})") from None
        raise
