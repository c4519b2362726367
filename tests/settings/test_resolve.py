"""The one resolution of a front end's settings: defaults, then [tool.spoilerscan], then its options."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from spoilerscan.reading.markup import Style
from spoilerscan.settings import ConfigError, Settings, resolve
from tests.helpers.checkstub import write_pyproject


def test_options_over_the_config_over_the_defaults(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.spoilerscan]\nmodel = "ours"\nadapter = "site.json"\nstyle = "reddit"\n'
                              'known-spoilers = ["He dies."]\n')
    found = resolve(start=tmp_path)
    assert (found.model, found.adapter, found.check_styles) == (tmp_path / "ours", tmp_path / "site.json",
                                                                (Style.reddit,))
    (tmp_path / "more.txt").write_text("She lives.\n", encoding="utf-8")
    given = resolve(start=tmp_path, model=Path("theirs"), styles=["discord"], threshold=0.3,
                    known_spoilers_file=tmp_path / "more.txt")
    assert (given.model, given.adapter, given.check_styles) == (Path("theirs"), tmp_path / "site.json",
                                                                (Style.discord,))
    assert given.reveals == ("He dies.", "She lives.") and given.threshold == 0.3
    assert resolve(start=tmp_path, find=False).source is None and found.source == tmp_path / "pyproject.toml"


def test_a_later_value_is_a_new_object_and_the_old_one_stands() -> None:
    first = Settings()
    second = first.with_options("settings", threshold=0.4, fail_threshold=None)
    assert (first.threshold, second.threshold, second.fail_threshold) == (None, 0.4, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.threshold = 0.5  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(second)) == second  # it travels to Ray's actors and serve's workers


@pytest.mark.parametrize(("options", "message"), [
    ({"threshold": float("nan")}, "serve: 'threshold' must be a number from 0 to 1"),
    ({"fail_threshold": True}, "serve: 'fail-threshold' must be a number from 0 to 1"),
    ({"threshold": "0.5"}, "serve: 'threshold' must be a number from 0 to 1"),
    ({"precision": "fp16"}, "serve: 'precision' must be one of auto, fp32, int8, got 'fp16'"),
    ({"threads": 0}, "serve: 'threads' must be a whole number, 1 or more"),
    ({"styles": ["spoilers"]}, "serve: 'style': unknown style 'spoilers'"),
    ({"colour": "red"}, "serve: unknown setting 'colour'"),
])
def test_each_bad_value_is_one_line_naming_where_and_the_key(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings().with_options("serve", **options)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_the_check_thresholds_and_the_gate(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.spoilerscan]\nthreshold = 0.6\n")
    settings = resolve(start=tmp_path)
    assert settings.thresholds(0.4, 0.7) == (0.6, 0.7)
    assert settings.with_options(fail_threshold=0.5).thresholds(0.4, 0.7) == (0.5, 0.5)
    assert settings.gate(None) is None
