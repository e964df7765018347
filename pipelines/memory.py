"""Peak resident memory of this process, per trial.

Linux keeps a high-water mark of resident memory (VmHWM) that can be reset
by writing 5 to /proc/self/clear_refs; resetting it when a trial starts makes
the mark that trial's own peak. Elsewhere the peak since the process started
(getrusage) is the best available, and it never goes down.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak() -> bool:
    """Start a new high-water mark; False where the platform cannot."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_mb() -> float:
    """Peak resident memory in MiB since the last `reset_peak` (or since the process started)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)
