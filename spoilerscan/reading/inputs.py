"""Read reviews from files, directories, globs or stdin, refusing what is not text.

Every command expands its arguments here, once: globs and ``include``/``exclude`` patterns have
gitignore semantics (pathspec), so ``drafts`` excludes every ``drafts`` folder, ``posts/*.md`` is
anchored to the root, ``**`` spans folders and ``!pattern`` re-includes.
"""

from __future__ import annotations

import glob
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from spoilerscan.errors import InputError
from spoilerscan.reading.document import Format, format_for

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

STDIN = "-"
STDIN_NAME = "<stdin>"  # stdin in messages
STDIN_FILENAME = "stdin"  # stdin as a file in reports (check --stdin-filename): a valid relative URI
REVIEW_SUFFIXES = (".md", ".markdown", ".txt", ".text", ".html", ".htm", ".rst")
DEFAULT_INCLUDE = tuple(f"*{suffix}" for suffix in REVIEW_SUFFIXES)
_SNIFF_BYTES = 8192
# The largest input read whole: a file, stdin, one JSONL record's line, a known-spoiler file, an
# adapter, a config. A long review is some 100 KB; 5 MiB leaves room for a book's worth while
# /dev/zero or a mistyped path to a disk image is refused in one line instead of filling memory.
# Raised with --max-input-size or max-input-size in [tool.spoilerscan].
DEFAULT_MAX_INPUT_SIZE = 5 * 1024 * 1024
_READ_CHUNK = 1 << 16
_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)(?:i?b)?\s*", re.IGNORECASE)
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Review:
    name: str  # the path as given, or "-" for stdin, or a JSONL record's id
    text: str
    path: Path | None = None
    record_id: object = None  # a JSONL record's "id" as the JSON had it (number, string, null, …)

    def format(self, choice: Format | str = Format.auto, stdin_name: str | None = None) -> Format:
        """How to read this review: ``choice``, else by its suffix (stdin by ``stdin_name``'s, else text)."""
        return format_for(stdin_name if self.name == STDIN else self.name, choice)


def wide_encoding(data: bytes) -> str | None:
    """"UTF-16" or "UTF-32" where ``data`` looks like text in one of them (a byte order mark, or the
    NUL bytes that ASCII letters get in every other or every fourth byte), else None."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = data[:_SNIFF_BYTES]
    if b"\x00" not in sample:  # the common case, cheap: ASCII text in UTF-16 or UTF-32 has NUL bytes
        return None
    for width, name in ((4, "UTF-32"), (2, "UTF-16")):
        units = [sample[i : i + width] for i in range(0, len(sample) - width + 1, width)]
        if len(units) < 2:
            continue
        for nonzero in range(width):  # the byte of each unit that holds an ASCII character
            ascii_like = sum(1 for u in units if 0 < u[nonzero] < 0x80 and not any(u[:nonzero] + u[nonzero + 1 :]))
            if ascii_like * 10 >= len(units) * 9:
                return name
    return None


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM is kept, so output can restore it), or an InputError saying why not."""
    wide = wide_encoding(data)
    if wide is not None:
        raise InputError(f"{name}: {wide} text; save it as UTF-8")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(f"{name}: binary file (contains NUL bytes), not a text review")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def parse_size(value: str | int) -> int:
    """A size in bytes from ``5242880``, ``512K``, ``5M``, ``1G`` (also ``5MB``, ``5MiB``: multiples of 1024)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number, unit = value, ""
    else:
        match = _SIZE.fullmatch(str(value))
        if match is None:
            raise ValueError(f"expected a size such as 5M, 512K or 1000000, got {value!r}")
        number, unit = int(match.group(1)), match.group(2).lower()
    size = number * 1024 ** " kmg".index(unit or " ")
    if size <= 0:
        raise ValueError(f"expected a size above 0, got {value!r}")
    return size


def larger_than(text: str, max_size: int) -> bool:
    """Whether a text already decoded (an editor's document, a text sent to the service) is over ``max_size``
    bytes as UTF-8, as a file of it would be; encoded only when its length leaves it in doubt."""
    if len(text) > max_size or len(text) * 4 <= max_size:
        return len(text) > max_size
    return len(text.encode("utf-8", "surrogatepass")) > max_size


def too_large(name: str, max_size: int) -> InputError:
    return InputError(f"{name}: larger than the maximum input size ({max_size:,} bytes); "
                      "raise it with --max-input-size or max-input-size in [tool.spoilerscan]")


def read_bounded(handle: BinaryIO, name: str, max_size: int) -> bytes:
    """All of ``handle``, read a chunk at a time, or an InputError once it passes ``max_size`` bytes
    (so /dev/zero is refused after ``max_size`` bytes, not read until memory runs out)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := handle.read(min(_READ_CHUNK, max_size + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_size:
            raise too_large(name, max_size)
    return b"".join(chunks)


def read_file_bytes(path: Path | str, max_size: int = DEFAULT_MAX_INPUT_SIZE, name: str | None = None) -> bytes:
    """A file's bytes, at most ``max_size`` (a larger regular file is refused before it is read); OSErrors
    are left to the caller, which words them for what it reads (a review, an adapter, a config)."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > max_size:
            raise too_large(str(name or path), max_size)
        return read_bounded(handle, str(name or path), max_size)


def file_kind(path: Path | str) -> str | None:
    """What a path is when it is not a regular file ("a FIFO", "a device", "a socket"), else None;
    a symlink is followed, a missing path is None (reading reports it)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


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


def read_review(name: str, max_size: int = DEFAULT_MAX_INPUT_SIZE) -> Review:
    """Read one review from a path, or from stdin when ``name`` is ``-``; more than ``max_size`` bytes
    is an InputError (found without reading more than that)."""
    shown = STDIN_NAME if name == STDIN else name
    handle = _open(name)
    try:
        if handle is not sys.stdin.buffer and os.fstat(handle.fileno()).st_size > max_size:
            raise too_large(shown, max_size)
        data = read_bounded(handle, shown, max_size)
    except OSError as error:
        raise InputError(f"{name}: cannot read ({error.strerror})") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    return Review(name, decode(data, shown), None if name == STDIN else Path(name))


def read_known_spoilers(path: Path | None, max_size: int = DEFAULT_MAX_INPUT_SIZE) -> list[str]:
    """Reveals listed in a text file, one a line; blank lines and lines starting with '#' are skipped."""
    if path is None:
        return []
    if str(path) == STDIN:
        raise InputError("known spoilers must come from a file, not stdin")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file of known spoilers (one reveal a line)")
    text = read_review(str(path), max_size).text.lstrip("\ufeff")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _lines(handle: BinaryIO, max_size: int) -> Iterator[bytes | None]:
    """The lines of a binary stream, each read to at most ``max_size`` bytes: a longer one is None,
    and the rest of it is read past a chunk at a time (never held whole)."""
    while line := handle.readline(max_size + 1):
        if len(line) <= max_size or line.endswith(b"\n"):
            yield line
            continue
        while (rest := handle.readline(_READ_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield None


def iter_jsonl_reviews(name: str, report: Callable[[str], None],
                       max_size: int = DEFAULT_MAX_INPUT_SIZE) -> Iterator[Review]:
    """Stream reviews from JSONL of ``{"id": …, "text": …}`` lines, one line in memory at a time
    (a line over ``max_size`` bytes is reported and skipped).

    A bad line is passed to ``report`` and skipped; reviews without an id (or with a null one) are
    named file:line. A UTF-8 byte order mark before the first line is dropped, and an unpaired
    surrogate escape (``\\ud83d``, half of an emoji cut off by a scraper) becomes U+FFFD: it
    stands for no character, and could not be written out as UTF-8.
    """
    handle = _open(name)
    try:
        for number, raw in enumerate(_lines(handle, max_size), start=1):
            where = f"{STDIN_NAME if name == STDIN else name}:{number}"
            if raw is None:
                report(str(too_large(where, max_size)))
                continue
            try:
                line = decode(raw, where)
            except InputError as problem:
                report(str(problem))
                continue
            if number == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = record["text"]
                if not isinstance(text, str):
                    raise TypeError
            except (json.JSONDecodeError, KeyError, TypeError, RecursionError):  # nested 100,000 deep too
                report(f"{where}: expected a JSON object with a string 'text'")
                continue
            record_id = record.get("id")
            yield Review(_id_name(record_id, where), _without_lone_surrogates(text), record_id=record_id)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _id_name(record_id: object, where: str) -> str:
    """How a JSONL review is named in findings: its id as text (JSON for a non-string), else file:line."""
    if record_id is None:
        return where
    return record_id if isinstance(record_id, str) else json.dumps(record_id, ensure_ascii=False)


def _without_lone_surrogates(text: str) -> str:
    """``text`` with each surrogate code point as U+FFFD (json.loads joins the paired ones, so these are lone)."""
    return _SURROGATE.sub("\ufffd", text)


@lru_cache(maxsize=32)
def path_spec(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    """Patterns with gitignore semantics; a leading ``./`` is dropped. (pathspec is imported on first use:
    a run that names its files matches no pattern, and a short run's start-up is mostly imports.)"""
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(pattern.strip().removeprefix("./") for pattern in patterns)


def relative_path(path: str, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (as given, if it lies outside)."""
    absolute = Path(os.path.abspath(path))
    try:
        return PurePosixPath(absolute.relative_to(root.absolute())).as_posix()
    except ValueError:
        return Path(path).as_posix()


@dataclass(frozen=True, slots=True)
class Selection:
    """Which files directories expand to (``include``) and which are never read (``exclude``).

    Patterns are relative to ``root`` (default: the current directory).
    """

    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    root: Path | None = None

    def _relative(self, path: str) -> str:
        return relative_path(path, self.root if self.root is not None else Path.cwd())

    def excluded(self, path: str, directory: bool = False) -> bool:
        if not self.exclude:
            return False
        relative = self._relative(path)
        return path_spec(self.exclude).match_file(relative + "/" if directory else relative)

    def included(self, path: str) -> bool:
        return path_spec(self.include).match_file(self._relative(path)) and not self.excluded(path)

    def walk(self, top: str) -> Iterator[str]:
        """Files under ``top`` that are included and not excluded, a folder's files before its folders.

        Hidden files and folders (``.git``) are skipped.
        """
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not self.excluded(os.path.join(folder, d), directory=True))
            for name in sorted(files):
                path = os.path.normpath(os.path.join(folder, name))
                if not name.startswith(".") and self.included(path):
                    yield path


def expand_inputs(names: Sequence[str], recursive: bool = False, selection: Selection | None = None) -> list[str]:
    """Command-line arguments as the review names to read, each once, in order.

    Nothing means stdin. Globs and directories (with ``recursive``) are expanded; what a
    directory expands to must be included; ``exclude`` applies to every file, also one named
    outright (so pre-commit honours it). Names that do not exist, and directories without
    ``recursive`` (named or matched by a glob, as the shell would pass them), are kept so that
    reading reports them. A file named twice, in any spelling or through a symlink, is read once.
    """
    if not names:
        return [STDIN]
    selection = selection if selection is not None else Selection()
    found: dict[str, None] = {}
    for name in names:
        if name != STDIN and not os.path.exists(name) and glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                found[name] = None
            for match in matches:
                if os.path.isdir(match):
                    found.update(dict.fromkeys(selection.walk(match)) if recursive else {match: None})
                elif os.path.isfile(match) and not selection.excluded(match):
                    found[match] = None
        elif recursive and os.path.isdir(name):
            found.update(dict.fromkeys(selection.walk(name)))
        elif name == STDIN or not os.path.isfile(name) or not selection.excluded(name):
            found[name] = None
    return _each_file_once(found)


def _each_file_once(names: Iterable[str]) -> list[str]:
    """``names`` without the later spellings of a file already named (``a.md``, ``./a.md``, a link to it)."""
    seen: set[str] = set()
    kept: list[str] = []
    for name in names:
        same = os.path.realpath(name) if name != STDIN and os.path.isfile(name) else None
        if same is None or same not in seen:
            kept.append(name)
        if same is not None:
            seen.add(same)
    return kept


def iter_reviews(names: Sequence[str], on_error: Callable[[str, str], None],
                 max_size: int = DEFAULT_MAX_INPUT_SIZE) -> Iterator[Review]:
    """Readable reviews in order; ``on_error(name, message)`` hears about each one that is not."""
    for name in names:
        if name == STDIN and sys.stdin.isatty():
            on_error(name, "no input: give review files, or pipe text to stdin")
            continue
        try:
            yield read_review(name, max_size)
        except InputError as problem:
            on_error(name, str(problem))
