"""What the README and docs/ say is what the code, the shipped model and its card do.

* The ``check`` session shown in the README and in docs/check.md is run as written, from the
  repository root, with the shipped model; its lines (stdout, then stderr's summary) and exit
  code must be the ones shown.
* Each table of quality claims (the README's one, docs/model.md's) names the model card section
  it copies (``<!-- model card: SECTION -->``); every row and column of it must equal the card's.
  Cells are compared after formatting is removed (bold, code marks, spaces, thousands
  separators), never rounded: 0.83 for the card's 0.832 is a failure.
* The README stays a two-minute read whose first commands are the set-up CI runs; its pictures,
  every relative link and every module path the documents name exist; the Python examples run as
  written; the changelog's table of moved modules is true.

The shipped-model tests need ``models/spoiler-review/`` (``ON_MISSING_SHIPPED_MODEL``). The parsing
and comparing are tested here on a card rendered by :mod:`spoilerscan.training.modelcard`.
"""

from __future__ import annotations

import importlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoilerscan import __version__
from spoilerscan.cli import app
from spoilerscan.training.modelcard import render_card

REPO = Path(__file__).parent.parent
README = REPO / "README.md"
DOCS = REPO / "docs"
MODEL_DOC = DOCS / "model.md"
SAMPLES = [README, DOCS / "check.md"]
CLAIMED = [README, MODEL_DOC]  # the documents with tables copied from the model card
CLAIM = re.compile(r"<!-- model card: (.+?) -->\n((?:\|.*\|\n)+)")


def check_session(document: Path) -> tuple[list[str], list[str], int]:
    """The documented ``check`` session: its arguments, the lines it prints, and its exit code."""
    found = re.search(r"```console\n\$ spoilerscan (check [^\n]*)\n(.*?)\$ echo \$\?\n(\d+)\n```",
                      document.read_text(encoding="utf-8"), re.S)
    assert found, f"{document.name}: no `check` session with `echo $?` in a console block"
    return shlex.split(found[1]), found[2].splitlines(), int(found[3])


@pytest.mark.parametrize("document", SAMPLES, ids=lambda path: path.name)
def test_the_documented_check_session_is_real(document: Path, shipped_model_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    args, lines, code = check_session(document)
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, args)
    real = result.stdout.splitlines() + result.stderr.splitlines()
    assert (real, result.exit_code) == (lines, code), (
        f"{document.name} shows another `check` session; the real one is:\n$ spoilerscan {shlex.join(args)}\n"
        + "".join(line + "\n" for line in real) + f"$ echo $?\n{result.exit_code}")


def table(lines: list[str]) -> list[dict[str, str]]:
    """A Markdown table's rows as {header: cell}; the separator row is left out."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    header, body = rows[0], [row for row in rows[1:] if not all(re.fullmatch(r":?-+:?", c) for c in row)]
    return [dict(zip(header, row, strict=True)) for row in body]


def card_tables(card: str) -> dict[str, list[dict[str, str]]]:
    """The card's tables by the title of the ``##`` section each stands in (its first table)."""
    tables: dict[str, list[dict[str, str]]] = {}
    section, block = "", []
    for line in [*card.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block and section not in tables:
            tables[section] = table(block)
        block = []
        if line.startswith("## "):
            section = line[3:].strip()
    return tables


def claims(readme: str) -> list[tuple[str, list[dict[str, str]]]]:
    """The README's claim tables, each with the card section it copies."""
    return [(section, table(body.splitlines())) for section, body in CLAIM.findall(readme)]


def plain(cell: str) -> str:
    """A cell without formatting: bold, code marks, spaces, thousands separators."""
    cell = re.sub(r"\*\*|`|\s", "", cell)
    return cell.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?%?", cell) else cell


def differences(readme: str, card: str) -> list[str]:
    """Each README claim that is not the card's, as a line that says where."""
    sections = card_tables(card)
    problems = []
    for section, rows in claims(readme):
        if section not in sections:
            problems.append(f"the card has no table under '## {section}'")
            continue
        key = next(iter(sections[section][0])) if sections[section] else "dataset"
        by_name = {row[key]: row for row in sections[section]}
        for row in rows:
            name = row.get(key, "")
            if name not in by_name:
                problems.append(f"{section}: the card has no row '{name}' (it has: {', '.join(by_name)})")
                continue
            for column, value in row.items():
                if column not in by_name[name]:
                    problems.append(f"{section}: the card has no column '{column}'")
                elif plain(value) != plain(by_name[name][column]):
                    problems.append(f"{section} / {name} / {column}: README {value}, card {by_name[name][column]}")
    return problems


def test_the_claims_cover_sentences_and_whole_reviews() -> None:
    sections = {document.name: {section for section, _ in claims(document.read_text(encoding="utf-8"))}
                for document in CLAIMED}
    assert sections["model.md"] >= {"Held-out test metrics, fp32", "Whole reviews (held out), fp32"}
    assert sections["README.md"] == {"Held-out test metrics, fp32"}  # the README's one table


@pytest.mark.parametrize("document", CLAIMED, ids=lambda path: path.name)
def test_the_documented_claims_are_the_shipped_model_cards(document: Path, shipped_model_dir: Path) -> None:
    problems = differences(document.read_text(encoding="utf-8"),
                           (shipped_model_dir / "README.md").read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


# --- the comparison itself, on a card rendered by spoilerscan.training.modelcard -------------------------

METRICS = {"sentences": 1477, "spoilers": 777, "roc_auc": 0.8321, "pr_auc": 0.835, "precision": 0.7,
           "recall": 0.8, "f1": 0.75}
CARD = render_card({
    "threshold": 0.5, "fail_threshold": 0.9,
    "dev_metrics": [{"dataset": "tvtropes/dev1", **METRICS, "roc_auc": 0.5}],
    "test_metrics": [{"dataset": "tvtropes/test", **METRICS},
                     {"dataset": "goodreads/sentences (held-out test part)", **METRICS, "sentences": 1974}],
    "review_metrics": [{"dataset": "reddit/comments (held-out test part)", "reviews": 300, "spoiler_reviews": 80,
                        "roc_auc": 0.81, "false_fail_rate": 0.052, "caught": 0.6}],
})
README_SIDE = """Sentences:

<!-- model card: Held-out test metrics, fp32 -->
| dataset | sentences | spoilers | ROC-AUC | PR-AUC |
|---|---:|---:|---:|---:|
| tvtropes/test | 1,477 | 777 | **0.832** | 0.835 |
| goodreads/sentences (held-out test part) | 1974 | 777 | 0.832 | 0.835 |

<!-- model card: Whole reviews (held out), fp32 -->
| dataset | reviews | spoiler reviews | ROC-AUC | clean reviews failed |
|---|---:|---:|---:|---:|
| reddit/comments (held-out test part) | 300 | 80 | 0.810 | 5.2% |
"""


def test_claims_equal_to_the_card_pass_whatever_their_formatting() -> None:
    assert [section for section, _ in claims(README_SIDE)] == ["Held-out test metrics, fp32",
                                                               "Whole reviews (held out), fp32"]
    assert differences(README_SIDE, CARD) == []


@pytest.mark.parametrize(("claim", "found"), [
    ("| 1974 | 777 | 0.832 |", "| 1974 | 777 | 0.83 |"),  # rounded
    ("| 300 | 80 |", "| 301 | 80 |"),
    ("| 5.2% |", "| ? |"),  # not filled in
    ("| tvtropes/test |", "| tvtropes/dev1 |"),  # a dev number is not a held-out one
    ("| reddit/comments (held-out test part) |", "| reddit/comments |"),
    ("Held-out test metrics, fp32", "Held-out test metrics, int8 dynamic quantisation"),
    ("| clean reviews failed |", "| clean failed |"),
])
def test_a_claim_that_is_not_the_cards_is_named(claim: str, found: str) -> None:
    changed = README_SIDE.replace(claim, found, 1)
    assert changed != README_SIDE
    assert len(differences(changed, CARD)) == 1, differences(changed, CARD)


RUN_TIME_FILES = ("encoder.onnx", "encoder-int8.onnx", "head.onnx", "tokenizer.json", "tokenizer_config.json",
                  "spoilerscan.json", "README.md")


def test_the_docs_say_what_size_the_model_adds(shipped_model_dir: Path) -> None:
    """Issue 12: mind git history, say the size you add (MB: 10**6 bytes, rounded); only run-time files ship,
    beside the card's figures (small PNGs, each embedded in the card)."""
    text = " ".join(MODEL_DOC.read_text(encoding="utf-8").split())
    stated = re.search(r"adds \*\*(\d+) MB\*\* of run-time files", text)
    assert stated, "docs/model.md: no 'adds **N MB** of run-time files'"
    sizes = {path.relative_to(shipped_model_dir).as_posix(): path.stat().st_size
             for path in shipped_model_dir.rglob("*") if path.is_file()}
    figures = {name: size for name, size in sizes.items() if name.startswith("figures/")}
    run_time = {name: size for name, size in sizes.items() if name not in figures}
    assert sorted(run_time) == sorted(RUN_TIME_FILES)
    assert int(stated[1]) == round(sum(run_time.values()) / 1e6)
    card = (shipped_model_dir / "README.md").read_text(encoding="utf-8")
    for name, size in figures.items():
        assert name.endswith(".png") and size < 100_000, (name, size)
        assert f"]({name})" in card, f"the card does not show {name}"


# --- the README as a newcomer reads it, and the documents' links, paths and examples ------------------

SETUP = ('python3 -m venv .venv && . .venv/bin/activate && python -m pip install . && '
         'spoilerscan redact examples/sixth-sense-review.md')
TEST_COMMAND = 'python -m pip install -e ".[test]" && python -m pytest'
DOCUMENTS = [README, REPO / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def code_blocks(document: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(document.read_text(encoding="utf-8")) if lang == language]


def test_the_readme_is_short_and_opens_with_the_two_set_up_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    first = [body.strip() for _, body in FENCE.findall(text)][:2]
    assert first == [SETUP, f"python3 -m venv .venv && . .venv/bin/activate && {TEST_COMMAND}"]
    assert TEST_COMMAND in (REPO / ".ci" / "run").read_text(encoding="utf-8")  # what CI runs
    for picture in ("docs/highlight-terminal.png", "docs/highlight-page.png"):
        assert picture in text and (REPO / picture).read_bytes().startswith(b"\x89PNG")
    assert "](models/spoiler-review/README.md)" in text  # the one table links the card


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    return {slug(heading) for heading in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_and_anchor_resolves(document: Path) -> None:
    text = re.sub(r"`[^`\n]*`", "", FENCE.sub("", document.read_text(encoding="utf-8")))  # links, not code
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in anchors(linked)):
            missing.append(target)
    assert not missing, missing


def resolves(dotted: str) -> bool:
    """Whether ``spoilerscan.x.y`` names a module, or an attribute of the longest module it starts with."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


@pytest.mark.parametrize("document", [README, *sorted(DOCS.glob("*.md"))], ids=lambda path: path.name)
def test_every_module_path_named_exists(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    files = set(re.findall(r"\b((?:spoilerscan|tests|benchmarks|docs)/[\w/.-]+\.py)\b", text))
    assert not [name for name in files if not (REPO / name).is_file()]
    dotted = {name for name in re.findall(r"`(spoilerscan(?:\.\w+)+)", text) if name != "spoilerscan.json"}
    assert not [name for name in sorted(dotted) if not resolves(name)]


def test_the_changelog_says_where_each_module_moved() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{__version__}]" in text
    rows = re.findall(r"^\s*\| `(spoilerscan[\w.]*)`[^|]*\| `(spoilerscan[\w.]*)`", text, re.M)
    assert len(rows) >= 20
    for old, new in rows:
        assert resolves(new), new
        if not (new == old or new.startswith(old + ".")):  # a moved module is gone (unless now a package)
            assert not resolves(old), old


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_the_python_examples_import_what_they_name(document: Path) -> None:
    for block in code_blocks(document, "python"):
        imports = "\n".join(line for line in block.splitlines() if re.match(r"(from \S+ )?import ", line))
        exec(compile(imports, f"{document.name} example", "exec"), {})


@pytest.mark.slow
@pytest.mark.parametrize(("document", "marker", "wanted"), [
    (README, "api.open_runtime()", ">!In the end Malcolm Crowe was dead all along.!<"),
    (DOCS / "usage.md", "Detector.load()", ">!In the final scene we learn")], ids=["README.md", "usage.md"])
def test_the_library_examples_run_as_written(document: Path, marker: str, wanted: str, shipped_model_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    [example] = [block for block in code_blocks(document, "python") if marker in block]
    exec(compile(example, f"{document.name} example", "exec"), {})
    assert wanted in capsys.readouterr().out


@pytest.mark.slow
def test_the_python_api_example_runs_as_written(shipped_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """docs/usage.md's "From Python": the redacted review, then check's verdict, as the commands give them."""
    monkeypatch.chdir(REPO)
    [example] = [block for block in code_blocks(DOCS / "usage.md", "python") if "api.open_runtime()" in block]
    exec(compile(example, "usage.md API example", "exec"), {})
    out = capsys.readouterr().out
    redacted = subprocess.run([sys.executable, "-c", "from spoilerscan.cli import main; main()", "redact",
                               "examples/sixth-sense-review.md", "--style", "reddit", "-q"], capture_output=True,
                              text=True, check=True).stdout
    assert out.startswith(redacted + "\n")
    assert re.fullmatch(r"\d+ finding\(s\), \d+ failing\n", out[len(redacted) + 1:])


def test_the_usage_table_lists_every_command() -> None:
    from typer.main import get_command

    commands = set(get_command(app).commands)  # type: ignore[attr-defined]  (a group: typer's own click)
    table = (DOCS / "usage.md").read_text(encoding="utf-8").split("\n\n")[2]
    listed = set(re.findall(r"`([a-z]+)`", " ".join(line.split("|")[1] for line in table.splitlines()[2:])))
    assert listed == commands, (commands - listed, listed - commands)
