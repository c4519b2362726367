"""Writing files atomically (output/files.py): replacement, backups, ownership, files -i must refuse."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from spoilerscan.errors import InputError
from spoilerscan.output import files
from spoilerscan.output.files import check_in_place, keep_backup, write_atomically


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_write_atomically_replaces_and_keeps_bytes(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text("old")
    write_atomically(path, "\ufeffnew\r\n\u2588")
    assert path.read_bytes() == "\ufeffnew\r\n\u2588".encode()
    assert leftovers(tmp_path) == []


def test_write_atomically_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text("old")
    path.chmod(0o640)
    write_atomically(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_new_file_gets_the_usual_permissions_not_private_ones(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "out.md", "new")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.md").stat().st_mode) == 0o644


def test_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    write_atomically(link, "new")
    assert link.is_symlink()
    assert target.read_text() == "new"


def test_failure_mid_write_leaves_the_original_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.md"
    path.write_bytes(b"original\r\n")
    real_fdopen = os.fdopen

    class Exploding(io.RawIOBase):
        """Writes half of the data, then the disk 'fills up'."""

        def __init__(self, handle: int) -> None:
            self.inner = real_fdopen(handle, "wb")

        def write(self, data: bytes) -> int:  # type: ignore[override]
            self.inner.write(bytes(data[: len(data) // 2]))
            self.inner.flush()
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            self.inner.close()
            super().close()

    monkeypatch.setattr(files.os, "fdopen", lambda handle, mode: Exploding(handle))
    with pytest.raises(InputError, match=r"r\.md: cannot write \(No space left on device\)"):
        write_atomically(path, "a much longer replacement text")
    assert path.read_bytes() == b"original\r\n"
    assert leftovers(tmp_path) == []


def test_interrupt_before_rename_leaves_the_original_intact(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.md"
    path.write_text("original")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, "new")
    assert path.read_text() == "original"
    assert leftovers(tmp_path) == []


def test_write_into_a_missing_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write"):
        write_atomically(tmp_path / "no" / "such" / "dir.md", "x")


def test_a_backup_is_written_atomically_and_keeps_content_mode_and_times(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_bytes(b"original\r\n")
    path.chmod(0o640)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    backup = keep_backup(path, ".bak")
    assert backup == tmp_path / "r.md.bak"
    assert backup.read_bytes() == b"original\r\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o640
    assert backup.stat().st_mtime == 1_000_000_000
    assert leftovers(tmp_path) == []


def test_a_full_disk_never_replaces_a_good_backup_with_a_partial_one(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.md"
    path.write_bytes(b"the second version, longer than one write " * 200)
    (tmp_path / "r.md.bak").write_bytes(b"the good backup\n")
    real_copy = files.shutil.copyfileobj

    def disk_full(source: io.BufferedReader, target: io.BufferedWriter) -> None:
        target.write(source.read(4096))
        target.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.shutil, "copyfileobj", disk_full)
    with pytest.raises(InputError, match=r"r\.md\.bak: cannot write \(No space left on device\)"):
        keep_backup(path, ".bak")
    assert (tmp_path / "r.md.bak").read_bytes() == b"the good backup\n"
    assert leftovers(tmp_path) == []
    monkeypatch.setattr(files.shutil, "copyfileobj", real_copy)
    keep_backup(path, ".bak")
    assert (tmp_path / "r.md.bak").read_bytes() == path.read_bytes()


def test_in_place_refuses_a_fifo_a_device_and_a_socket_without_opening_them(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)  # no writer: opening it to read would wait for ever
    with pytest.raises(InputError, match=r"pipe\.md: is a FIFO; --in-place rewrites regular files only"):
        check_in_place(fifo)
    with pytest.raises(InputError, match=r"null: is a device"):
        check_in_place(Path("/dev/null"))
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.md"))
        with pytest.raises(InputError, match=r"s\.md: is a socket"):
            check_in_place(tmp_path / "s.md")
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # left as it was


def test_in_place_refuses_a_hard_linked_file_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text("text")
    os.link(path, tmp_path / "other-name.md")
    with pytest.raises(InputError, match=r"r\.md: has 2 hard links; .*other names would keep the unredacted text "
                                         r"\(--force rewrites this name anyway\)"):
        check_in_place(path)
    check_in_place(path, force=True)
    (tmp_path / "single.md").write_text("text")
    check_in_place(tmp_path / "single.md")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_as_root_the_replacement_keeps_the_owner_and_group(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text("old")
    os.chown(path, 4321, 4322)
    heard: list[str] = []
    write_atomically(path, "new", heard.append)
    keep_backup(path, ".bak", heard.append)
    for written in (path, tmp_path / "r.md.bak"):
        assert (written.stat().st_uid, written.stat().st_gid) == (4321, 4322)
    assert heard == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_where_the_owner_cannot_be_kept_it_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.md"
    path.write_text("old")
    os.chown(path, 4321, 4322)

    def refused(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(files.os, "fchown", refused)
    heard: list[str] = []
    write_atomically(path, "new", heard.append)
    assert path.read_text() == "new"
    assert heard == [f"{path}: could not keep its owner and group (4321:4322); the new file is owned by 0:0"]


def test_a_target_that_is_not_a_regular_file_is_written_to_never_replaced(tmp_path: Path) -> None:
    """`-o /dev/null` as root renamed a temporary file over the device: /dev/null became a file for
    every process on the machine. A FIFO stands in for the device here."""
    import threading

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomically(fifo, "findings\n")
    reader.join(timeout=30)
    assert received == [b"findings\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert leftovers(tmp_path) == []
