"""How many bytes one process may spend at once on a kind of work, across all its threads.

Why: a small file can decode to a large image (a 165 kB PNG of 40 MP is 160 MB of pixels, and
more while it is converted), and a `/__ui__` request of 32 MB costs Mesop about three times that
while it decodes and parses it; gunicorn's threads do these side by side. A limit per image or
per request alone does not bound the sum; a budget does. Each piece of work reserves its estimate
before it starts and gives it back when done. Work that cannot get its bytes waits, a bounded
time, for others to finish; past that it is refused with a message saying to try again. Small
work (a click that decodes nothing, a small request) never asks, so other visitors are answered
meanwhile.

A budget of use bounds resident memory only if freed memory goes back to the system. By default
glibc keeps a large block freed by a thread in that thread's own heap once its threshold for
mapping blocks separately has risen (it rises to 32 MB): four threads that each decoded one
30 MP image, one after the other, held 445 MB at the end instead of 230. So large blocks are
always mapped on their own here (`mallopt`), and returned when freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

LARGE_BLOCK = 4 * 1024 * 1024  # and over: mapped on its own, returned to the system when freed
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def return_large_blocks_to_the_system() -> bool:
    """Fix glibc's threshold for mapping a block on its own (no-op, False, elsewhere)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return bool(libc and libc.mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK))
    except (OSError, AttributeError):
        return False  # not glibc (musl, macOS): their allocators do not keep per-thread heaps


return_large_blocks_to_the_system()


class Busy(Exception):
    """The budget stayed full for the whole wait."""


class ByteBudget:
    def __init__(self, total: int, wait_seconds: float = 30.0) -> None:
        self.total = total
        self.wait_seconds = wait_seconds
        self._free = total
        self._changed = threading.Condition()

    @property
    def in_use(self) -> int:
        with self._changed:
            return self.total - self._free

    def acquire(self, amount: int) -> int:
        """Take `amount` bytes (at most the total), waiting for them; raise Busy past the wait.
        Returns what was taken, for release()."""
        amount = min(amount, self.total)
        deadline = time.monotonic() + self.wait_seconds
        with self._changed:
            while self._free < amount:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Busy
                self._changed.wait(left)
            self._free -= amount
        return amount

    def release(self, amount: int) -> None:
        with self._changed:
            self._free += amount
            self._changed.notify_all()

    @contextmanager
    def reserve(self, amount: int) -> Iterator[None]:
        taken = self.acquire(amount)
        try:
            yield
        finally:
            self.release(taken)


@cache
def shared(kind: str, total: int) -> ByteBudget:
    """The process's one budget for `kind` of that size (tests and tools may ask for others)."""
    return ByteBudget(total)
