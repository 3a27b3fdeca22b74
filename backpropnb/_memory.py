"""Keep freed array memory in the process for reuse (glibc on Linux only).

glibc hands large freed blocks back to the operating system once more than
about twice the largest recently freed block is free at the top of the heap.
A training step of an autograd engine frees its whole graph at once (values and
gradients of every node, about 15 MiB for the 784-512-512-10 MLP in
benchmarks/engine.py), so every step gave that memory back and then took it
again, one page fault per 4 KiB page: about 3,800 faults and a third of the
step's time. Raising glibc's thresholds keeps up to 64 MiB of freed memory for
the next step instead. Memory that is in use is unaffected; only memory the
process has already used and freed is kept.

Set the environment variable ``BACKPROPNB_KEEP_FREED_MEMORY=0`` before
importing backpropnb to leave glibc's defaults alone.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 64 * 2**20  # free memory kept at the top of the heap
MMAP_THRESHOLD = 32 * 2**20  # arrays below this come from the heap (and are reused), not from fresh mappings


def keep_freed_memory():
    """Ask glibc to keep freed memory for reuse; True if it did (False elsewhere, or when switched off).

    >>> keep_freed_memory() in (True, False)
    True
    """
    if os.environ.get("BACKPROPNB_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        )
    except (OSError, AttributeError):
        return False
