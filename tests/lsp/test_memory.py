"""After a large document is closed, the server collects garbage and gives free heap pages back."""

from __future__ import annotations

import ctypes.util
import gc
import platform

import pytest

from spoilerscan.lsp import memory


def test_release_collects_and_trims_where_glibc_can(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    monkeypatch.setattr(memory.gc, "collect", lambda: collected.append(1) or 0)
    trimmed = memory.release()
    assert collected == [1]
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc" and ctypes.util.find_library("c")
    assert trimmed == bool(glibc)
    gc.collect()
