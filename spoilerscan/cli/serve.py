"""``serve``: the detector as a warm HTTP service (spoilerscan.serve, the 'serve' extra).

Thin: check the options, the config and the model (each failure one stderr line and exit 2,
before anything binds), then hand over to :func:`spoilerscan.serve.server.serve`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Annotated

import typer

from spoilerscan.cli import output
from spoilerscan.cli.options import AdapterOpt, ModelOpt, Precision, PrecisionOpt, QuietOpt, ThresholdOpt
from spoilerscan.errors import EXIT_USAGE

EXTRA = ("fastapi", "uvicorn")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS", help="Address to listen on; anything but "
        "loopback lets other machines in (use --token).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, metavar="PORT",
        help="Port to listen on (0: any free one, named in the start-up line).")] = 8000,
    model: ModelOpt = None,
    adapter: AdapterOpt = None,
    precision: PrecisionOpt = Precision.auto,
    threshold: ThresholdOpt = None,
    fail_threshold: Annotated[float | None, typer.Option("--fail-threshold", min=0.0, max=1.0, metavar="SCORE",
        help="/v1/check fails from this score \\[default: config, else the model's: its review gate, a cut that "
        "rises with the review's length].",
        show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", metavar="FILE", help="A pyproject.toml whose "
        "\\[tool.spoilerscan] applies (style, allowed-phrases, known-spoilers, thresholds, model) "
        "\\[default: the nearest pyproject.toml that has the table].", show_default=False)] = None,
    max_bytes: Annotated[str, typer.Option("--max-bytes", metavar="SIZE", help="Largest request body: bytes, "
        "or with kB, MB, KiB, MiB; a larger one is refused (413) before it is read.")] = "1MB",
    token: Annotated[str | None, typer.Option("--token", metavar="TOKEN", envvar="SPOILERSCAN_TOKEN",
        help="Every /v1 call must send 'Authorization: Bearer TOKEN' (prefer the environment variable: "
        "options show in the process list).", show_default=False)] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, metavar="N", help="Processes, each "
        "with its own model, sharing the port (ONNX Runtime threads are split between them).")] = 1,
    allow_origin: Annotated[list[str] | None, typer.Option("--allow-origin", metavar="ORIGIN", help="Let web "
        "pages of this origin (https://example.com) call the API from a browser (CORS), repeatable; "
        "'*' for any \\[default: none].", show_default=False)] = None,
    threads: Annotated[int | None, typer.Option("--threads", min=1, max=256, metavar="N", help="ONNX Runtime "
        "threads of each worker's model \\[default: the cores this process may use, divided among the workers].",
        show_default=False)] = None,
    shutdown_timeout: Annotated[float, typer.Option("--shutdown-timeout", min=1.0, metavar="SECONDS",
        help="On SIGTERM, how long requests in flight may take to finish; those still running a second before "
        "are answered 503.")] = 20.0,
    body_timeout: Annotated[float, typer.Option("--body-timeout", min=0.1, metavar="SECONDS",
        help="A request's body must arrive within this time (408 after it), so slow clients hold no capacity.")
        ] = 15.0,
    request_timeout: Annotated[float, typer.Option("--request-timeout", min=0.1, metavar="SECONDS",
        help="A request not answered within this time is refused (503) and its work dropped.")] = 60.0,
    quiet: QuietOpt = False,
) -> None:
    """Serve the detector over HTTP: a JSON API (/v1), its docs (/docs), and a review page (/).

    One model is loaded at start-up and shared; concurrent requests are scored together. Offsets in
    answers count characters (code points) of the submitted text. Start-up ends with one line on
    stderr naming the address; each request is then logged on stderr (method, path, status, times,
    never review text; --quiet: none). SIGTERM or Ctrl-C stops taking requests, finishes those in
    flight and exits 0. Needs the 'serve' extra: pip install 'spoilerscan[serve]'. Guide: docs/serve.md.

    Example: SPOILERSCAN_TOKEN=secret spoilerscan serve --port 8000

    Exit codes: 0 stopped by SIGTERM or Ctrl-C, 2 usage, config or model error, or the address is taken.
    """
    missing = [name for name in EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        output.error(f"spoilerscan serve needs the 'serve' extra ({' and '.join(missing)} not installed): "
                     "pip install 'spoilerscan[serve]'")
        raise typer.Exit(EXIT_USAGE)

    from spoilerscan.runtime import Runtime
    from spoilerscan.serve.server import cores
    from spoilerscan.serve.server import serve as run_server
    from spoilerscan.serve.settings import ServeSettings, SettingsError, check_origins, parse_size
    from spoilerscan.serve.state import ServiceDetector, runtime_settings
    from spoilerscan.settings import resolve

    with output.user_errors():
        if not host.strip():
            raise SettingsError("--host is empty")
        if token is not None and not token.strip():
            raise SettingsError("--token (or SPOILERSCAN_TOKEN) is empty")
        size = parse_size(max_bytes)
        origins = check_origins(tuple(allow_origin or ()))
        found = resolve(config, model=model, adapter=adapter, threshold=threshold, fail_threshold=fail_threshold)
        settings = ServeSettings(
            model=None if found.model is None else found.model.absolute(),
            adapter=None if found.adapter is None else found.adapter.absolute(), precision=precision.value,
            threshold=threshold, fail_threshold=fail_threshold,
            config=None if found.source is None else found.source.absolute(), max_bytes=size,
            token=None if token is None else token.strip(), allow_origins=origins, shutdown_seconds=shutdown_timeout,
            body_seconds=body_timeout, request_seconds=request_timeout,
            threads=threads if threads is not None else max(1, cores() // workers), log_requests=not quiet)
        # a bad model: one line, before binding
        detector: ServiceDetector | None = Runtime.open(runtime_settings(settings)).detector
    if host not in LOOPBACK and settings.token is None:
        output.stderr.print(f"spoilerscan: warning: listening on {host} without --token: anyone who can reach "
                            "this port can use the service", markup=False, highlight=False, soft_wrap=True)
    assert detector is not None
    described = (f"model {detector.path.name if detector.path is not None else 'model'}, {detector.precision}, "
                 f"{workers} worker{'s' if workers != 1 else ''}")
    if workers > 1:
        detector = None  # each worker process loads its own

    def announce(url: str) -> None:
        sys.stderr.write(f"spoilerscan: serving on {url} ({described}); the review page is at {url}/, "
                         f"the API docs at {url}/docs\n")
        sys.stderr.flush()

    if not run_server(settings, host, port, announce, workers, detector):
        raise typer.Exit(EXIT_USAGE)
