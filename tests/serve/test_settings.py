"""The service's settings: sizes, origins, and their way to worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoilerscan.serve.settings import (
    ServeSettings,
    SettingsError,
    check_origins,
    from_environment,
    parse_size,
    to_environment,
)


@pytest.mark.parametrize(("text", "size"), [("1000000", 1_000_000), ("1MB", 1_000_000), ("500kB", 500_000),
                                            ("2 MiB", 2 * 1024 * 1024), ("64KiB", 65536), ("7", 7), ("3m", 3_000_000)])
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "big", "1.5MB", "-1", "0", "10 GB"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(SettingsError, match="--max-bytes"):
        parse_size(text)


def test_origins() -> None:
    assert check_origins(("https://a.example", "http://localhost:3000/", "*", "https://a.example")) == \
        ("https://a.example", "http://localhost:3000", "*")
    for bad in ("a.example", "https://a.example/page", "ftp://a.example", ""):
        with pytest.raises(SettingsError, match="--allow-origin"):
            check_origins((bad,))


def test_settings_travel_to_workers_through_the_environment() -> None:
    settings = ServeSettings(model=Path("/m/model"), adapter=Path("/m/site.json"), precision="int8", threshold=0.4,
                             fail_threshold=0.7,
                             config=Path("/p/pyproject.toml"), max_bytes=10, token="s3cret",
                             allow_origins=("https://a.example",), threads=3, log_requests=False)
    assert from_environment(to_environment(settings)) == settings
    with pytest.raises(SettingsError, match="--workers"):
        from_environment({})
