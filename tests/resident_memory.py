"""The process's resident memory, for the tests that bound how much a long run may grow."""

from __future__ import annotations

import os
import sys


def resident_mb() -> float:
    """Resident memory now; where /proc is missing, the peak so far (growth still bounds a leak)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024
