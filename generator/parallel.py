"""Run one function over many items on every core, results in the items' order.

This process works too, beside one forked worker per other core: each takes the next chunk
of items when it is free. Workers are forked, so the function and its data (the timeline,
the Jinja environment) are inherited rather than pickled; only each chunk's results travel
back. A worker copies every page of memory it writes to, inherited ones included (reading an
object writes its reference count), so this process doing a worker's share in memory it
already holds spares those copies: a cold build at 4000 events faults a fifth fewer pages than
with a worker per core. Small jobs, platforms without fork, and processes that run threads
(the live server) take the serial path.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

MIN_ITEMS = 400  # below this a pool costs more than it saves
CHUNKS_PER_PROCESS = 8  # small enough to balance uneven items (a home page vs an event page)

_job: tuple[Callable[[Any], Any], Sequence[Any], list[range], Any] | None = None


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


def _claim() -> int | None:
    """The next chunk no process has taken yet, taken; None when none is left."""
    _, _, chunks, taken = _job
    with taken.get_lock():
        index = taken.value
        if index >= len(chunks):
            return None
        taken.value = index + 1
    return index


def _run(index: int) -> list[Any]:
    func, items, chunks, _ = _job
    return [func(items[i]) for i in chunks[index]]


def _run_next(_: int) -> tuple[int, list[Any]] | None:
    """In a worker: the next chunk and its results, or None when every chunk is taken."""
    index = _claim()
    return None if index is None else (index, _run(index))


def map_ordered(func: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
    """func(item) for every item, in order; across processes when that pays."""
    processes = min(cpu_count(), max(1, len(items) // (MIN_ITEMS // 2)))
    if processes < 2 or len(items) < MIN_ITEMS or not _can_fork():
        yield from map(func, items)
        return
    size = max(1, len(items) // (processes * CHUNKS_PER_PROCESS))
    chunks = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    global _job
    _job = (func, items, chunks, context.Value("q", 0))
    try:
        with context.Pool(processes - 1, initializer=_worker_signals) as pool:
            # a task per chunk, so that the workers alone could take them all
            from_workers = pool.imap_unordered(_run_next, range(len(chunks)))
            done: dict[int, list[Any]] = {}
            for index in range(len(chunks)):
                while index not in done:
                    mine = _claim()
                    if mine is not None:
                        done[mine] = _run(mine)
                    elif (result := next(from_workers)) is not None:
                        done[result[0]] = result[1]
                yield from done.pop(index)
    finally:
        _job = None
