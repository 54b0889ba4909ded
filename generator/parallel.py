"""Run one function over many items on every core, results in the items' order.

This process works too, beside one forked worker per other core: each takes the next chunk of
items when it is free. Workers are forked, so the function and its data (the timeline, the Jinja
environment) are inherited rather than pickled; only each chunk's results travel back. Small
jobs, platforms without fork, and processes that run threads (the live server: forking beside
threads can deadlock the child on their locks) take the serial path.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

MIN_ITEMS = 400  # below this a pool costs more than it saves
CHUNKS_PER_PROCESS = 8  # small enough to balance uneven items (a home page vs an event page)


class WorkerFailed(Exception):
    """A worker raised; the message carries its traceback."""


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def map_ordered(func: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
    """func(item) for every item, in order; across processes when that pays."""
    processes = min(cpu_count(), max(1, len(items) // (MIN_ITEMS // 2)))
    can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if processes < 2 or len(items) < MIN_ITEMS or not can_fork:
        yield from map(func, items)
        return
    size = max(1, len(items) // (processes * CHUNKS_PER_PROCESS))
    chunks = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    taken = context.Value("q", 0)
    results = context.Queue()  # put() hands the data to a thread: a worker never waits for this process to read

    def claim() -> int | None:
        with taken.get_lock():
            if taken.value >= len(chunks):
                return None
            taken.value += 1
            return taken.value - 1

    def run(index: int) -> list[Any]:
        return [func(items[i]) for i in chunks[index]]

    def work() -> None:  # in a worker: the main process answers Ctrl-C and kill, a worker just ends
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            while (index := claim()) is not None:
                results.put((index, run(index)))
        except BaseException:
            results.put((-1, traceback.format_exc()))
        results.put(None)

    workers = [context.Process(target=work, daemon=True) for _ in range(processes - 1)]
    for worker in workers:
        worker.start()
    try:
        done: dict[int, list[Any]] = {}
        running = len(workers)
        for index in range(len(chunks)):
            while index not in done:
                mine = claim()
                if mine is not None:
                    done[mine] = run(mine)
                    continue
                if running == 0:
                    raise WorkerFailed("a worker ended without its results")
                message = results.get()
                if message is None:
                    running -= 1
                elif message[0] < 0:
                    raise WorkerFailed(message[1])
                else:
                    done[message[0]] = message[1]
            yield from done.pop(index)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
