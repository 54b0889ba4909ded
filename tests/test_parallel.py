"""The process pool: results in order, from this process and a forked worker, and a worker's
failure reported, never lost."""

import json
import os
import subprocess
import sys
import threading

from conftest import ROOT
from generator import parallel

# In a new interpreter: this one runs other threads once the browser tests have started
# Playwright, and a process with threads never forks (it takes the serial path).
POOL_RUN = """
import json, multiprocessing, os, sys
from generator import parallel
parallel.cpu_count = lambda: 2
me = os.getpid()
worked, failing = (multiprocessing.get_context("fork").Event() for _ in range(2))  # set by the worker

def square_and_where(n):
    if os.getpid() == me:
        worked.wait(60)  # so that the worker takes a chunk however busy the machine
    else:
        worked.set()
    return n * n, os.getpid()

def fail_in_a_worker(n):
    if os.getpid() == me:
        failing.wait(60)
        return n
    failing.set()
    raise ValueError("broken in a worker")

items = range(parallel.MIN_ITEMS * 4)
results = list(parallel.map_ordered(square_and_where, items))
try:
    list(parallel.map_ordered(fail_in_a_worker, items))
    failure = None
except parallel.WorkerFailed as exc:
    failure = str(exc)
json.dump({"in_order": [s for s, _ in results] == [n * n for n in items],
           "processes": len({pid for _, pid in results}), "failure": failure}, sys.stdout)
"""


def test_results_come_in_order_and_a_failing_worker_is_reported():
    run = subprocess.run([sys.executable, "-c", POOL_RUN], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["in_order"]
    assert seen["processes"] == 2  # this process and the worker each took chunks
    assert "ValueError: broken in a worker" in seen["failure"]


def _where(n: int) -> int:
    return os.getpid()


def test_small_jobs_and_processes_with_threads_stay_in_this_process(monkeypatch):
    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    assert set(parallel.map_ordered(_where, range(parallel.MIN_ITEMS - 1))) == {os.getpid()}
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert set(parallel.map_ordered(_where, range(parallel.MIN_ITEMS))) == {os.getpid()}
    finally:
        stop.set()
        other.join()
