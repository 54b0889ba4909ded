"""Run one function over many items on every core, results in the items' order.

Workers are forked, so the function and its data (the timeline, the Jinja environment) are
inherited rather than pickled; only each item's result travels back. Small jobs, platforms
without fork, and processes that run threads (the live server) take the serial path.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

MIN_ITEMS = 400  # below this a pool costs more than it saves
CHUNKS_PER_WORKER = 8  # small enough to balance uneven items (a home page vs an event page)

_job: tuple[Callable[[Any], Any], Sequence[Any], list[range]] | None = None


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _can_fork() -> bool:
    # Forking a process that runs other threads can deadlock the child on their locks.
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _worker_signals() -> None:
    # The main process answers Ctrl-C and kill (and stops the pool): a worker just ends, quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_chunk(index: int) -> list[Any]:
    func, items, chunks = _job
    return [func(items[i]) for i in chunks[index]]


def map_ordered(func: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
    """func(item) for every item, in order; across processes when that pays."""
    workers = min(cpu_count(), max(1, len(items) // (MIN_ITEMS // 2)))
    if workers < 2 or len(items) < MIN_ITEMS or not _can_fork():
        yield from map(func, items)
        return
    size = max(1, len(items) // (workers * CHUNKS_PER_WORKER))
    chunks = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    global _job
    _job = (func, items, chunks)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals) as pool:
            for results in pool.imap(_run_chunk, range(len(chunks))):
                yield from results
    finally:
        _job = None
