"""Plain parameter values skip typer's pydantic check and come out as that check gives them."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer.core import TyperArgument, TyperOption

from spoilerscan.cli.app import COMMANDS, build_app
from spoilerscan.cli.coercion import TYPER_CHECKS, PlainOrChecked, plain_value
from spoilerscan.reading.document import Format
from tests.cli.test_help import imported_by


def parameters(name: str) -> tuple[Context, list[Any]]:
    """A command's parameters as a run parses them (with the help option), and a context for them."""
    group = typer.main.get_command(build_app([name]))
    command = group.commands[name]  # type: ignore[attr-defined]
    context = Context(command, info_name=name)
    return context, command.get_params(context)


def typers_own(param: Any, value: Any, context: Context) -> Any:
    base = TyperOption if isinstance(param, TyperOption) else TyperArgument
    return base.get_runtime_param(param).coerce(value, param=param, ctx=context)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_plain_values_come_out_as_typers_check_gives_them(name: str) -> None:
    """Every parameter of every command, at its default, unset, and (for the inputs) as words of a command line:
    what passes without pydantic equals what typer's own check returns, type and all."""
    context, params = parameters(name)
    passed = 0
    for param in params:
        words = [("review.md", "-", "d/*.md")] if param.multiple or param.nargs == -1 else []
        for value in [param.get_default(context), None, *words]:
            ours = PlainOrChecked(lambda: None).coerce(value, param, context) if plain_value(
                param.type_descriptor.annotation, param.type_descriptor.parameter_info.parser,
                bool(param.multiple or param.nargs == -1), value) is not TYPER_CHECKS else TYPER_CHECKS
            if ours is TYPER_CHECKS:
                continue
            expected = typers_own(param, value, context)
            assert (ours, type(ours)) == (expected, type(expected)), (name, param.name, value)
            passed += 1
    assert passed >= len(params)  # at least each parameter's default or None passed


def test_values_that_need_converting_go_to_typer() -> None:
    assert plain_value(float, None, False, "0.5") is TYPER_CHECKS
    assert plain_value(Format, None, False, "markdown") is TYPER_CHECKS  # text for an Enum: typer checks it
    assert plain_value(int, len, False, "11M") is TYPER_CHECKS  # a parser converts it
    assert plain_value(list[str], None, True, "a.md") is TYPER_CHECKS  # one word where many are taken: typer's error
    assert plain_value(Format, None, False, Format.auto) is Format.auto
    assert plain_value(list[str], None, True, ("a.md",)) == ["a.md"]
    assert plain_value(int, len, False, None) is None and plain_value(list[str], None, True, None) == ()


@pytest.mark.slow
def test_a_plain_run_does_not_import_pydantic() -> None:
    """`redact REVIEW` with the shipped model: every value is plain (typer's check was 0.1 s of a 0.7 s run)."""
    loaded, redacted = imported_by("redact", "examples/unmarked-spoiler.md", "--quiet")
    assert "\u2588" in redacted and "pydantic" not in loaded
    loaded, _ = imported_by("redact", "examples/unmarked-spoiler.md", "--quiet", "--threshold", "1")
    assert "pydantic" in loaded  # --threshold is text to convert: typer checks it


def test_a_bad_value_gets_typers_own_error() -> None:
    context, params = parameters("redact")
    style = next(param for param in params if param.name == "style")
    with pytest.raises(typer.BadParameter, match="'bogus' is not one of 'block'"):
        style.get_runtime_param().coerce("bogus", param=style, ctx=context)
