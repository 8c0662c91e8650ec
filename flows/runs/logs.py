"""Where log lines go: the console without tracebacks, the debug log with everything.

A run that fails because the disk is full or a signal came says so in one line (flows/runs/failures.py);
the traceback behind it, and every other record of the run, go to the debug log
(NEWSPRINT_DEBUG_LOG, `data/newsprint-debug.log` by default), and to the Prefect API as every record does.
The debug log never fails a command: a log that cannot be written (on the full disk itself)
is given up silently.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from flows.runs.failures import explain

DEBUG_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"
DEBUG_LOG_BYTES = 5_000_000  # then it rotates, keeping two older files
_attached: dict[str, logging.Handler] = {}  # the debug log's path → its handler (one at a time)


class _DebugLog(RotatingFileHandler):
    """A debug log that stops writing, quietly, when it cannot (logging would print a traceback)."""

    def handleError(self, record: logging.LogRecord) -> None:
        self.setLevel(logging.CRITICAL + 1)


class _WithoutTraceback(logging.Formatter):
    """Format a record as the console's formatter does, leaving its traceback out."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = (record.exc_info, record.exc_text, record.stack_info)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


class _ExplainedFailures(logging.Filter):
    """Keep off the console a record of a failure the run's last line explains (a full disk, a signal)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and record.exc_info[1] and explain(record.exc_info[1]))


def attach_debug_log(path: Path) -> None:
    """Send every record the root logger sees, tracebacks included, to the debug log; quiet the console.

    Called once Prefect has set its logging up (at a flow's start): a handler on the root logger
    before that would make Prefect leave the root logger, and its console, unconfigured.
    """
    quiet_console()
    key = str(path)
    if key in _attached:
        return
    root = logging.getLogger()
    for stale in _attached.values():  # the setting changed within this process
        root.removeHandler(stale)
        stale.close()
    _attached.clear()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _DebugLog(path, maxBytes=DEBUG_LOG_BYTES, backupCount=2, encoding="utf-8", delay=True)
    except OSError:
        return
    handler.setFormatter(logging.Formatter(DEBUG_FORMAT))
    root.addHandler(handler)
    _attached[key] = handler


def quiet_console() -> None:
    """Format Prefect's console lines without tracebacks, and leave explained failures to the last line."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        quiet = isinstance(handler.formatter, _WithoutTraceback)
        if isinstance(handler, PrefectConsoleHandler) and not quiet:
            handler.setFormatter(_WithoutTraceback(handler.formatter))
            handler.addFilter(_ExplainedFailures())


def trace(error: BaseException, path: Path) -> None:
    """Append an error's traceback to the debug log (for a command that failed outside a flow)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{datetime.now().isoformat(sep=' ')} ERROR newsprint: {error!r}\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        pass
