"""One process on uvicorn: its messages as one line each, and the address the start-up line names."""

from __future__ import annotations

import logging
import sys

from spoilerscan.serve.runner import OneLine, address, log_config


def record(level: int, message: str, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", level, __file__, 1, message, None, exc_info)


def test_an_error_with_a_traceback_is_one_line() -> None:
    try:
        raise OSError("[Errno 98] address already in use")
    except OSError:
        line = OneLine().format(record(logging.ERROR, "cannot bind", sys.exc_info()))
    assert line == "spoilerscan: error: cannot bind: OSError: [Errno 98] address already in use"
    traceback_text = "Traceback (most recent call last):\n  File \"x\", line 1\nValueError: bad"
    assert OneLine().format(record(logging.ERROR, traceback_text)) == "spoilerscan: error: ValueError: bad"


def test_request_lines_carry_a_timestamp() -> None:
    line = OneLine().format(record(logging.INFO, "127.0.0.1 GET /healthz 200"))
    assert line.endswith(" 127.0.0.1 GET /healthz 200") and line[4] == "-" and "T" in line[:11]


def test_quiet_logs_requests_at_warning_only() -> None:
    assert log_config(True)["loggers"]["spoilerscan.serve"]["level"] == "INFO"
    assert log_config(False)["loggers"]["spoilerscan.serve"]["level"] == "WARNING"
    assert log_config(True)["loggers"]["uvicorn.access"]["handlers"] == []  # the guard logs requests instead


def test_addresses() -> None:
    assert address("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert address("::1", 80) == "http://[::1]:80"
