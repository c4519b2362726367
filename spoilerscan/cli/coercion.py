"""Parameter values that need no converting skip typer's pydantic check, so a plain run does not import pydantic.

typer checks every parameter's value with a pydantic ``TypeAdapter`` it builds on first use, even an
option left at its default ``None``: importing pydantic and building the adapters of redact's 15
options was about 0.1 s of a 0.7 s run. A value that needs no converting is passed on as typer's
own check would pass it: ``None``, a default member of an option's Enum, the review paths as the
command line gave them. Every other value (a threshold, a style, a file given as text) goes to
typer's check, with its conversions, limits and error messages. ``tests/cli/test_help.py`` holds
both ways equal on every parameter of every command.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, get_args, get_origin

# What :func:`plain_value` returns for a value that typer must check.
TYPER_CHECKS = object()


def plain_value(annotation: Any, parser: Any, multiple: bool, value: Any) -> Any:
    """The value typer's check would give, where it needs no converting; else TYPER_CHECKS."""
    if value is None:  # an option not given and without a default (typer: () for one taking many values)
        return () if multiple else None
    if parser is not None:
        return TYPER_CHECKS
    if not multiple and isinstance(annotation, type) and issubclass(annotation, Enum) and isinstance(value, annotation):
        return value  # a default member
    if multiple and get_origin(annotation) is list and get_args(annotation) == (str,) \
            and isinstance(value, tuple | list) and all(type(item) is str for item in value):
        return list(value)  # words of the command line: typer's str check returns each one as it is
    return TYPER_CHECKS


class PlainOrChecked:
    """A parameter's coercion (typer's ``RuntimeParam`` protocol): plain values pass, others go to typer's.

    ``checked`` is typer's own ``get_runtime_param`` of the parameter, called (building the pydantic
    adapter) only for a value that needs it; a parameter class returns one of these from its
    ``get_runtime_param`` (see :mod:`spoilerscan.cli.help`)."""

    def __init__(self, checked: Callable[[], Any]) -> None:
        self.checked = checked

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        found = plain_value(param.type_descriptor.annotation, param.type_descriptor.parameter_info.parser,
                            bool(param.multiple or param.nargs == -1), value)
        if found is not TYPER_CHECKS:
            return found
        return self.checked().coerce(value, param=param, ctx=ctx)
