"""The command's version and help: placeholders, examples and wrapping.

The tiny model's probabilities all lie strictly between 0 and 1, so ``--threshold 0`` flags every
sentence and ``--threshold 1`` flags none: the outcomes are deterministic.
"""


from __future__ import annotations

import re

import pytest

from spoilerscan import __version__
from spoilerscan.cli import app
from spoilerscan.render import RedactStyle
from tests.cli.conftest import run, runner

# --- version and help -----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--version", "-V"])
def test_version(option: str) -> None:
    result = run(option)
    assert result.exit_code == 0
    assert result.stdout == f"spoilerscan {__version__}\n"


def test_bare_command_prints_help_and_succeeds() -> None:
    result = run()
    assert result.exit_code == 0
    assert "Usage: spoilerscan [OPTIONS] COMMAND" in result.stdout
    assert result.stderr == ""


def help_text(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", [(), ("redact",), ("highlight",), ("scan",), ("check",), ("train",),
                                     ("evaluate",)])
def test_help_shows_placeholders_not_python_types_and_keeps_brackets(command: tuple[str, ...]) -> None:
    text = help_text(*command)
    for leak in ("<bool>", "list[", "<path>", "<int", "<float", "<str>", "\\["):
        assert leak not in text, (leak, text)
    for line in text.splitlines():  # a flag shows no placeholder at all
        if line.startswith("│") and re.search(r"--(quiet|help) ", line):
            assert re.search(r"(--quiet +-q|--help +-h) +(No progress|Show this)", line), line


def test_help_texts_in_brackets_survive_rich_markup() -> None:
    root = " ".join(help_text().split())
    assert "[default: the model's own]" in root and "[default: the shipped model]" in root
    assert "Exit codes: 0 success" in root
    assert "[default: the model's own]" in " ".join(help_text("redact").split())
    assert "pip install 'spoilerscan[train]'" in " ".join(help_text("train").split())
    assert "[spoiler]" in " ".join(help_text("redact").split())
    for command in ("redact", "check", "train"):
        assert "PATH" in help_text(command) or command == "train"


@pytest.mark.parametrize("command", ["redact", "highlight", "scan", "train", "evaluate"])
def test_each_command_has_help_with_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example: spoilerscan " + command in " ".join(result.stdout.split())
    assert "--help" in result.stdout


@pytest.mark.parametrize("command", ["redact", "highlight", "scan"])
def test_common_options_are_documented(command: str) -> None:
    text = run(command, "--help").stdout
    for option in ("--threshold", "--model", "--quiet", "--output", "--recursive", "--spoilers", "--precision"):
        assert option in text


def test_redact_help_lists_the_styles() -> None:
    text = run("redact", "--help").stdout
    for style in RedactStyle:
        assert style.value in text


def test_root_help() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("redact", "highlight", "scan", "train", "evaluate"):
        assert command in result.stdout




def test_a_command_imports_only_its_own_module() -> None:
    """The entry point builds the app of the command it runs: redact does not import serve, lsp, adapt,
    training or scan (start-up time), while the top-level help still lists every command."""
    import subprocess
    import sys

    probe = ("import sys\nsys.argv = ['spoilerscan', *sys.argv[1:]]\nfrom spoilerscan.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('spoilerscan.cli.')), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, "redact", "--help"], capture_output=True, text=True,
                          check=True)
    loaded = done.stderr.strip().splitlines()[-1]
    assert "spoilerscan.cli.review" in loaded and "Usage: spoilerscan redact" in done.stdout
    for other in ("serve", "lsp", "adapt", "training", "scan", "check"):
        assert f"'spoilerscan.cli.{other}'" not in loaded
    listing = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True, check=True)
    for command in ("redact", "highlight", "scan", "check", "adapt", "lsp", "serve", "train", "evaluate"):
        assert f" {command} " in listing.stdout


def imported_by(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The modules a whole `spoilerscan ARGS` process imported, and its stdout."""
    import os
    import subprocess
    import sys

    probe = ("import sys\nsys.argv = ['spoilerscan', *sys.argv[1:]]\nfrom spoilerscan.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\nprint(sorted(sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})}, timeout=300)
    return set(eval(done.stderr.strip().splitlines()[-1])), done.stdout


def test_the_top_level_help_imports_no_command_nor_the_model() -> None:
    """`spoilerscan --help` (and the bare command, and --version) lists the commands from their summaries:
    no command's module, no numpy, ONNX Runtime, pydantic or reading code is imported for it (rich and
    markdown-it are: typer draws its help with them)."""
    for args in (("--help",), (), ("--version",)):
        loaded, stdout = imported_by(*args)
        heavy = {m for m in loaded if m.split(".")[0] in ("numpy", "onnxruntime", "tokenizers", "sentencex",
                                                          "pydantic")}
        ours = {m for m in loaded if m.startswith("spoilerscan.") and m not in
                ("spoilerscan.cli", "spoilerscan.cli.app", "spoilerscan.cli.index", "spoilerscan.cli.help",
                 "spoilerscan.cli.coercion", "spoilerscan.cli.output", "spoilerscan.errors")}
        assert (heavy, ours) == (set(), set()), args
        assert ("redact" in stdout) if args != ("--version",) else stdout.startswith("spoilerscan ")


@pytest.mark.parametrize("columns", ["80", "250"])
def test_the_index_of_commands_is_the_full_apps_help(columns: str) -> None:
    """The summaries the index lists are each command's own first paragraph: the help is the same text."""
    from spoilerscan.cli.app import build_app

    shown = [runner.invoke(built, ["--help"], env={"COLUMNS": columns}) for built in (build_app(index=True), app)]
    assert [result.exit_code for result in shown] == [0, 0]
    assert shown[0].stdout == shown[1].stdout


def test_a_word_that_is_no_command_is_refused_by_the_index() -> None:
    from spoilerscan.cli.app import app_for

    result = runner.invoke(app_for(["bogus"]), ["bogus"])
    assert result.exit_code == 2 and "No such command 'bogus'" in result.output


def test_shell_completion_gets_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shell asking for completions names no command on the command line, yet needs every command's options."""
    from spoilerscan.cli.app import COMPLETION_VARIABLE, app_for, full_app

    assert app_for([]) is not full_app()
    monkeypatch.setenv(COMPLETION_VARIABLE, "complete_bash")
    assert app_for([]) is full_app()



@pytest.mark.parametrize("columns", [60, 80, 120, 250])
def test_the_fast_top_level_help_is_typers_own_text(columns: int) -> None:
    """`spoilerscan --help` is drawn without typer or rich, and reads exactly as typer draws the index."""
    from spoilerscan.cli.app import build_app
    from spoilerscan.cli.index import index_help

    typers = runner.invoke(build_app(index=True), ["--help"], env={"COLUMNS": str(columns)})
    assert typers.exit_code == 0 and index_help(columns) == typers.stdout


def test_the_fast_help_imports_neither_typer_nor_rich() -> None:
    for args in (("--help",), ("-h",)):
        loaded, stdout = imported_by(*args)
        assert not {m for m in loaded if m.split(".")[0] in ("typer", "click", "rich")}, args
        assert all(name in stdout for name in ("redact", "check", "evaluate", "Exit codes"))
