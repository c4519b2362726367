"""The README's pictures, made from real runs of ``spoilerscan highlight`` on the example review.

    python docs/screenshots.py        # from a checkout with spoilerscan installed; needs chromium

1. ``spoilerscan highlight examples/sixth-sense-review.md`` runs as on a 100-column colour
   terminal (``FORCE_COLOR``, ``COLUMNS``); its output is recorded by rich
   (``Console(record=True)``) and exported as SVG (in a temporary folder).
2. ``spoilerscan highlight examples/sixth-sense-review.md --format html`` writes the page (there too).
3. Headless Chromium renders each to PNG: ``docs/highlight-terminal.png``, ``docs/highlight-page.png``
   (the page in a window of ``PAGE_SIZE``: make it taller if the page grows).

Nothing is drawn by hand: after a change to what highlight writes (spoilerscan/render/highlight.py),
run this again and commit what it wrote.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
EXAMPLE = "examples/sixth-sense-review.md"
COLUMNS = 100
PAGE_SIZE = (900, 1390)  # the browser window the page is shown in, CSS pixels: the whole page, a margin below
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--force-device-scale-factor=1"]


def spoilerscan(*args: str, env: dict[str, str] | None = None) -> str:
    """Run the installed command (the one beside this Python) from the repository root; its stdout."""
    command = Path(sys.executable).parent / "spoilerscan"
    found = str(command) if command.exists() else shutil.which("spoilerscan")
    if found is None:
        sys.exit("screenshots: no spoilerscan command: install the project first (python -m pip install -e .)")
    return subprocess.run([found, *args], cwd=REPO, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, encoding="utf-8", check=True).stdout


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    sys.exit("screenshots: no chromium on PATH (apt-get install chromium)")


def screenshot(source: Path, png: Path, size: tuple[int, int]) -> None:
    """``source`` (an SVG or HTML file) as shown in a headless browser window of ``size``, saved as ``png``."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
                        f"--screenshot={png}", source.as_uri()], check=True, capture_output=True, timeout=120)
    try:  # a palette of 256 colours is plenty for text, and a third of the size (Pillow comes with matplotlib)
        from PIL import Image

        Image.open(png).convert("RGB").quantize(256).save(png, optimize=True)
    except ImportError:
        pass
    print(f"wrote {png.relative_to(REPO)} ({png.stat().st_size // 1000} KB)")


def terminal() -> None:
    ansi = spoilerscan("highlight", EXAMPLE, "--quiet",
                       env={"FORCE_COLOR": "1", "COLUMNS": str(COLUMNS), "TERM": "xterm-256color"})
    console = Console(record=True, width=COLUMNS, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    console.print(Text(f"$ spoilerscan highlight {EXAMPLE}", style="bold"))
    console.print(Text.from_ansi(ansi), end="")
    svg = console.export_svg(title=f"spoilerscan highlight {EXAMPLE}")
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    assert box, "rich's SVG has no viewBox"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "highlight-terminal.svg"
        path.write_text(svg, encoding="utf-8")
        screenshot(path, DOCS / "highlight-terminal.png", (round(float(box[1])), round(float(box[2]))))


def page() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "highlight-page.html"
        spoilerscan("highlight", EXAMPLE, "--format", "html", "-o", str(path), "--quiet")
        screenshot(path, DOCS / "highlight-page.png", PAGE_SIZE)


if __name__ == "__main__":
    terminal()
    page()
