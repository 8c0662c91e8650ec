"""A worker transform that kills its own process on a marked file, as the kernel's OOM killer would.

Not a test module: backfill workers import it by name (flows/runs/workers.py), so it lives in the
tests package without the `test_` prefix.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence
from datetime import date

from flows.runs.backfill import BatchItem, FileJob, transform_files

MARK = "KILL-THE-WORKER"


def transform_or_die(
    items: Sequence[FileJob | BatchItem], today: date, severities: Mapping[str, str] | None = None
) -> list[BatchItem]:
    """Transform as a worker does, unless a file holds the mark: then die by SIGKILL."""
    if any(isinstance(item, FileJob) and MARK.encode() in item.data for item in items):
        os.kill(os.getpid(), signal.SIGKILL)
    return transform_files(items, today, severities)
