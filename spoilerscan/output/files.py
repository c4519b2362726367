"""Atomic file writing: the next version of a file is written beside it and renamed over it.

A crash, a kill -9 or a full disk leaves the old file or the new one, never half of one; a backup
(``--backup``) is written the same way, so a good backup is never replaced by a partial copy. The
replacement keeps the file's permissions and, where the process may set them (root), its owner
and group; where it may not, ``notice`` hears so. Every failure is a one-line InputError.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from spoilerscan.errors import InputError

Notice = Callable[[str], None]


def _new_file_mode() -> int:
    """The permissions ``open()`` would give a new file (mkstemp's are private, 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def replacement_mode(path: Path) -> int:
    """The permissions the next version of ``path`` gets: an existing file's own, else a new file's."""
    return path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode()


def cannot_write(name: Path | str, error: OSError | int) -> InputError:
    reason = os.strerror(error) if isinstance(error, int) else error.strerror or str(error)
    return InputError(f"{name}: cannot write ({reason})")


def check_writable(path: Path) -> None:
    """Fail now, in one line, where ``path`` could not be written: before the long work, not after it.

    The file is written as :class:`PendingFile` writes it: its folder must exist and be writable
    (for the temporary file), and an existing file must be writable; a symlink is followed.
    """
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise cannot_write(path, errno.EISDIR)
    if not target.parent.is_dir():
        raise cannot_write(path, errno.ENOTDIR if target.parent.exists() else errno.ENOENT)
    if not os.access(target.parent, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise cannot_write(path, errno.EACCES)


def check_in_place(path: Path, force: bool = False) -> None:
    """Refuse, in one line, a file that ``--in-place`` must not replace: anything but a regular file
    (a FIFO would be read, or wait for a writer, then be replaced by a file), and a file with other
    hard links unless ``force`` (they would keep the unredacted text)."""
    try:
        info = os.stat(path)
    except OSError:
        return  # reading reports a missing file
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) \
            else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a regular file"
        raise InputError(f"{path}: is {kind}; --in-place rewrites regular files only (write to stdout or -o)")
    if info.st_nlink > 1 and not force:
        raise InputError(f"{path}: has {info.st_nlink} hard links; --in-place writes a new file under this name, "
                         "so the other names would keep the unredacted text (--force rewrites this name anyway)")
    check_writable(path)


def _keep_owner(descriptor: int, original: os.stat_result, name: Path | str, notice: Notice | None) -> None:
    """Give a new file the owner and group of the one it replaces; say so where that is not allowed."""
    if (original.st_uid, original.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.fchown(descriptor, original.st_uid, original.st_gid)  # root may; a member of the group may keep it
        return
    except OSError:
        pass
    with suppress(OSError):
        os.fchown(descriptor, -1, original.st_gid)
    now = os.fstat(descriptor)
    if notice is not None and (now.st_uid, now.st_gid) != (original.st_uid, original.st_gid):
        notice(f"{name}: could not keep its owner and group ({original.st_uid}:{original.st_gid}); "
               f"the new file is owned by {now.st_uid}:{now.st_gid}")


class PendingFile:
    """The next version of ``path``, written to a temporary file beside it: :meth:`commit` puts it in
    place at once (a crash leaves the old file or the new one, never half of one); leaving the
    ``with`` block without committing, or an error, leaves the file as it was.

    Text is written as UTF-8 bytes, line endings untouched. A symlink is followed (its target is
    replaced, the link stays); a new file gets the usual permissions, an existing one keeps its own,
    and its owner and group where the process may set them (``notice`` hears where it may not).
    A target that is not a regular file (``-o /dev/null``, a FIFO, ``/dev/stdout``) is written
    straight to: renaming over it would replace the device with a file (as root, /dev/null for all).
    """

    def __init__(self, path: Path, notice: Notice | None = None) -> None:
        self.name = path
        self.path = Path(os.path.realpath(path))
        self.committed = False
        self.direct = False
        try:
            self.original = self.path.stat() if self.path.exists() else None
            if self.original is not None and not stat.S_ISREG(self.original.st_mode):
                self.direct, self.temporary = True, str(self.path)
                self.file = open(self.path, "wb")  # noqa: SIM115 (closed by commit or discard)
                return
            self.mode = self.original.st_mode & 0o7777 if self.original is not None else _new_file_mode()
            handle, self.temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                                      suffix=".tmp")
        except OSError as error:
            raise cannot_write(path, error) from None
        self.file = os.fdopen(handle, "wb")
        if self.original is not None:
            _keep_owner(handle, self.original, path, notice)

    def __enter__(self) -> PendingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            self.discard()

    def write(self, text: str) -> int:
        self.write_bytes(text.encode("utf-8"))
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError as error:
            raise cannot_write(self.name, error) from None

    def flush(self) -> None:
        """Nothing to do before :meth:`commit` (a text sink for ``json.dump`` and ``print``)."""

    def commit(self) -> None:
        if self.direct:
            try:
                self.file.close()
            except OSError as error:
                raise cannot_write(self.name, error) from None
            self.committed = True
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.chmod(self.temporary, self.mode)  # after the chown, which may clear set-id bits
            os.replace(self.temporary, self.path)
        except OSError as error:
            raise cannot_write(self.name, error) from None
        self.committed = True

    def discard(self) -> None:
        with suppress(OSError):  # the disk that failed a write may fail the close too
            self.file.close()
        if not self.direct:
            Path(self.temporary).unlink(missing_ok=True)


def write_atomically(path: Path, text: str, notice: Notice | None = None) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves either the old or the new file.

    A symlink is followed (its target is rewritten, the link stays); a file that cannot be
    written is an InputError, reported in one line.
    """
    with PendingFile(path, notice) as pending:
        pending.write(text)
        pending.commit()


def keep_backup(path: Path, suffix: str, notice: Notice | None = None) -> Path:
    """Copy ``path`` (its content, mode, times, owner where allowed) to ``path`` + ``suffix`` before it is
    rewritten, atomically: a full disk leaves the previous backup as it was, never a partial copy."""
    backup = Path(f"{path}{suffix}")
    source = os.path.realpath(path)
    with PendingFile(backup) as pending:
        try:
            with open(source, "rb") as original:
                _keep_owner(pending.file.fileno(), os.fstat(original.fileno()), backup, notice)
                shutil.copyfileobj(original, pending.file)
            pending.file.flush()
            shutil.copystat(source, pending.temporary)
            pending.mode = os.stat(source).st_mode & 0o7777
        except OSError as error:
            raise cannot_write(backup, error) from None
        pending.commit()
    return backup
