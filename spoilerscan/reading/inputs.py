"""Read reviews from files, directories, globs or stdin, refusing what is not text.

Every command expands its arguments here, once: globs and ``include``/``exclude`` patterns have
gitignore semantics (pathspec), so ``drafts`` excludes every ``drafts`` folder, ``posts/*.md`` is
anchored to the root, ``**`` spans folders and ``!pattern`` re-includes.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pathspec import GitIgnoreSpec

from spoilerscan.errors import InputError
from spoilerscan.reading.document import Format, format_for

STDIN = "-"
STDIN_NAME = "<stdin>"  # stdin in messages
STDIN_FILENAME = "stdin"  # stdin as a file in reports (check --stdin-filename): a valid relative URI
REVIEW_SUFFIXES = (".md", ".markdown", ".txt", ".text", ".html", ".htm", ".rst")
DEFAULT_INCLUDE = tuple(f"*{suffix}" for suffix in REVIEW_SUFFIXES)
_SNIFF_BYTES = 8192
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
    return Review(name, decode(data, STDIN_NAME if name == STDIN else name), None if name == STDIN else Path(name))


def read_known_spoilers(path: Path | None) -> list[str]:
    """Reveals listed in a text file, one a line; blank lines and lines starting with '#' are skipped."""
    if path is None:
        return []
    if str(path) == STDIN:
        raise InputError("known spoilers must come from a file, not stdin")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file of known spoilers (one reveal a line)")
    text = read_review(str(path)).text.lstrip("\ufeff")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def iter_jsonl_reviews(name: str, report: Callable[[str], None]) -> Iterator[Review]:
    """Stream reviews from JSONL of ``{"id": …, "text": …}`` lines, one line in memory at a time.

    A bad line is passed to ``report`` and skipped; reviews without an id (or with a null one) are
    named file:line. A UTF-8 byte order mark before the first line is dropped, and an unpaired
    surrogate escape (``\\ud83d``, half of an emoji cut off by a scraper) becomes U+FFFD: it
    stands for no character, and could not be written out as UTF-8.
    """
    handle = _open(name)
    try:
        for number, raw in enumerate(handle, start=1):
            where = f"{STDIN_NAME if name == STDIN else name}:{number}"
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
            except (json.JSONDecodeError, KeyError, TypeError):
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
    """Patterns with gitignore semantics; a leading ``./`` is dropped."""
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


def iter_reviews(names: Sequence[str], on_error: Callable[[str, str], None]) -> Iterator[Review]:
    """Readable reviews in order; ``on_error(name, message)`` hears about each one that is not."""
    for name in names:
        if name == STDIN and sys.stdin.isatty():
            on_error(name, "no input: give review files, or pipe text to stdin")
            continue
        try:
            yield read_review(name)
        except InputError as problem:
            on_error(name, str(problem))


def _new_file_mode() -> int:
    """The permissions ``open()`` would give a new file (mkstemp's are private, 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def replacement_mode(path: Path) -> int:
    """The permissions the next version of ``path`` gets: an existing file's own, else a new file's."""
    return path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode()


def _cannot_write(name: Path | str, error: OSError | int) -> InputError:
    reason = os.strerror(error) if isinstance(error, int) else error.strerror or str(error)
    return InputError(f"{name}: cannot write ({reason})")


def check_writable(path: Path) -> None:
    """Fail now, in one line, where ``path`` could not be written: before the long work, not after it.

    The file is written as :class:`PendingFile` writes it: its folder must exist and be writable
    (for the temporary file), and an existing file must be writable; a symlink is followed.
    """
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise _cannot_write(path, errno.EISDIR)
    if not target.parent.is_dir():
        raise _cannot_write(path, errno.ENOTDIR if target.parent.exists() else errno.ENOENT)
    if not os.access(target.parent, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise _cannot_write(path, errno.EACCES)


class PendingFile:
    """The next version of ``path``, written to a temporary file beside it: :meth:`commit` puts it in
    place at once (a crash leaves the old file or the new one, never half of one); leaving the
    ``with`` block without committing, or an error, leaves the file as it was.

    Text is written as UTF-8 bytes, line endings untouched. A symlink is followed (its target is
    replaced, the link stays); a new file gets the usual permissions, an existing one keeps its own.
    """

    def __init__(self, path: Path) -> None:
        self.name = path
        self.path = Path(os.path.realpath(path))
        self.committed = False
        try:
            self.mode = replacement_mode(self.path)
            handle, self.temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                                      suffix=".tmp")
        except OSError as error:
            raise _cannot_write(path, error) from None
        self.file = os.fdopen(handle, "wb")

    def __enter__(self) -> PendingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            self.discard()

    def write(self, text: str) -> int:
        try:
            self.file.write(text.encode("utf-8"))
        except OSError as error:
            raise _cannot_write(self.name, error) from None
        return len(text)

    def flush(self) -> None:
        """Nothing to do before :meth:`commit` (a text sink for ``json.dump`` and ``print``)."""

    def commit(self) -> None:
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.chmod(self.temporary, self.mode)
            os.replace(self.temporary, self.path)
        except OSError as error:
            raise _cannot_write(self.name, error) from None
        self.committed = True

    def discard(self) -> None:
        with suppress(OSError):  # the disk that failed a write may fail the close too
            self.file.close()
        Path(self.temporary).unlink(missing_ok=True)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves either the old or the new file.

    A symlink is followed (its target is rewritten, the link stays); a file that cannot be
    written is an InputError, reported in one line.
    """
    with PendingFile(path) as pending:
        pending.write(text)
        pending.commit()


def keep_backup(path: Path, suffix: str) -> Path:
    """Copy ``path`` (its content, mode and times) to ``path`` + ``suffix`` before it is rewritten."""
    backup = Path(f"{path}{suffix}")
    try:
        shutil.copy2(os.path.realpath(path), backup)
    except OSError as error:
        raise _cannot_write(backup, error) from None
    return backup
