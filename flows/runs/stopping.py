"""Stop a run on SIGTERM or Ctrl-C at the next safe point, instead of wherever the signal lands.

A signal that raises where it lands leaves tracebacks from inside a DuckDB query or a Prefect
task (`RuntimeError: Query interrupted`) and no record of the run. So `newsprint run` and
`newsprint backfill` take SIGINT and SIGTERM themselves (`on_signals`): the first only asks
the run to stop, and the run looks (`check`) between files, between batches and while it
waits for the warehouse; it then records itself as failed and exits 130 (SIGINT) or 143
(SIGTERM). Every load is a transaction, so stopping between two loses nothing. A second
signal stops the process at once, which is as safe as a kill (README, When things go wrong).

Prefect's flow engine installs its own SIGTERM handler for the length of a flow run; a flow
started from these commands puts this one back (`take_signals`). A flow started by a Prefect
worker or `serve` keeps Prefect's, which turns a cancellation from the UI into a Cancelled run.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_requested: int | None = None  # the signal that asked the run to stop
_armed = False  # whether a command took the signals (on_signals)


class Interrupted(Exception):
    """A run asked to stop by a signal, at the point where stopping is safe."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM)."""
        return 128 + self.signum


def _handle(signum: int, frame: FrameType | None) -> None:
    global _requested
    if _requested is None:
        _requested = signum
        name = signal.Signals(signum).name
        sys.stderr.write(f"\n{name}: stopping at the next safe point (send it again to stop at once)\n")
        return
    sys.stderr.write(f"\n{signal.Signals(signum).name} again: stopping now\n")
    sys.stderr.flush()
    os._exit(128 + signum)  # as safe as a kill: loads are transactions, the workers end with us


@contextmanager
def on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into a request to stop, while the block runs (main thread only)."""
    global _armed, _requested
    previous = {s: signal.signal(s, _handle) for s in SIGNALS}
    _armed, _requested = True, None
    try:
        yield
    finally:
        _armed = False
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def take_signals() -> None:
    """Inside a flow started by on_signals, take SIGTERM back from Prefect's flow engine."""
    if not _armed:
        return
    try:
        for signum in SIGNALS:
            signal.signal(signum, _handle)
    except ValueError:  # not the main thread: the flow runs elsewhere, Prefect's handler stays
        pass


def requested() -> Interrupted | None:
    """Return the pending request to stop, if a signal made one."""
    return Interrupted(_requested) if _requested is not None else None


def check() -> None:
    """Raise Interrupted if a signal asked the run to stop: call it where stopping is safe."""
    if _requested is not None:
        raise Interrupted(_requested)
