"""The editor's settings: typed once, a bad value reported and its old value kept, null back to the default."""

from __future__ import annotations

from pathlib import Path

from spoilerscan.lsp.settings import DEFAULT_DEBOUNCE_SECONDS, Settings, apply
from spoilerscan.reading.markup import Style


def test_every_setting_is_read() -> None:
    settings, problems = apply(Settings(), {"threshold": 0.4, "failThreshold": 0.9, "style": ["reddit", "warning"],
                                            "debounceMs": 0, "model": "models/mine"}, "initializationOptions",
                               root=Path("/work"))
    assert problems == []
    assert settings == Settings(0.4, 0.9, (Style.reddit, Style.warning), 0.0, Path("/work/models/mine"))


def test_settings_may_come_under_the_spoilerscan_section() -> None:
    settings, problems = apply(Settings(), {"spoilerscan": {"style": "discord", "debounceMs": 500}}, "settings")
    assert problems == [] and settings.styles == (Style.discord,) and settings.debounce == 0.5


def test_bad_values_are_reported_and_the_old_values_kept() -> None:
    before = Settings(threshold=0.3)
    settings, problems = apply(before, {"threshold": 2, "failThreshold": "high", "style": "spoilers", "debounceMs": -1,
                                        "model": 3, "colour": "red"}, "initializationOptions")
    assert settings == before
    assert problems == [
        "initializationOptions: 'threshold' must be a number from 0 to 1; keeping 0.3",
        "initializationOptions: 'failThreshold' must be a number from 0 to 1; keeping the default",
        "initializationOptions: 'style': unknown style 'spoilers' (choose from block, label, reddit, discord, "
        "bbcode, discourse, html, warning, all); keeping the default",
        "initializationOptions: 'debounceMs' must be a number of milliseconds, 0 or more; keeping 250 ms",
        "initializationOptions: 'model' must be a path string; keeping the default",
        "initializationOptions: unknown setting 'colour' (known: threshold, failThreshold, style, debounceMs, model)",
    ]


def test_null_goes_back_to_the_servers_own_default() -> None:
    start = Settings(model=Path("/from/--model"))
    changed, _ = apply(start, {"model": "/elsewhere", "threshold": 0.2}, "settings", defaults=start)
    reset, problems = apply(changed, {"model": None, "threshold": None}, "settings", defaults=start)
    assert problems == [] and reset == start and reset.debounce == DEFAULT_DEBOUNCE_SECONDS


def test_nothing_sent_changes_nothing_and_a_non_object_is_reported() -> None:
    assert apply(Settings(), None, "initializationOptions") == (Settings(), [])
    settings, problems = apply(Settings(), ["threshold"], "settings")
    assert settings == Settings() and problems == ["settings: expected an object of settings, got list"]
