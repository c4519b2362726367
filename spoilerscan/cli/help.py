"""Help text conventions for every command: value placeholders (FILE, SCORE), never Python types,
and paragraphs that rich wraps at the terminal's width; and parameters whose plain values skip typer's
pydantic check (:mod:`spoilerscan.cli.coercion`)."""

from __future__ import annotations

import inspect
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from spoilerscan.cli.coercion import PlainOrChecked


class _Option(TyperOption):
    """An option as typer makes it, but for the check of its value (see PlainOrChecked)."""

    def get_runtime_param(self) -> Any:
        return PlainOrChecked(super().get_runtime_param)


class _PlainArgument(TyperArgument):
    """A positional argument shown by its name alone (typer would add its Python type, '<list[str]>')."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_runtime_param(self) -> Any:
        return PlainOrChecked(super().get_runtime_param)


def _plain_help(params: list[Any]) -> list[Any]:
    """Parameters as help should show them (a flag takes no value, so no '<bool>' placeholder), and
    checking plain values without pydantic."""
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = _Option
        elif type(param) is TyperArgument:
            param.__class__ = _PlainArgument
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


def paragraphs(help_text: str) -> str:
    """Help text with each paragraph on one line, for rich to wrap at the terminal's width (typer
    keeps a docstring's own line breaks, which leaves ragged lines on any other width)."""
    return "\n\n".join(" ".join(paragraph.split("\n")) for paragraph in inspect.cleandoc(help_text).split("\n\n"))


class Command(TyperCommand):
    """A command whose help shows value placeholders (FILE, SCORE), never Python types."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.help:
            self.help = paragraphs(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_help(super().get_params(ctx))


class Group(TyperGroup):
    """The top level, with the same help conventions as :class:`Command`."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_help(super().get_params(ctx))
