"""The process pool: results in order, the work shared between this process and a worker."""

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
import json, os, sys, time
from generator import parallel
parallel.cpu_count = lambda: 2

def square_and_where(n):
    time.sleep(0.002)  # long enough that the worker is up before this process took every chunk
    return n * n, os.getpid()

items = range(parallel.MIN_ITEMS * 2)
results = list(parallel.map_ordered(square_and_where, items))
json.dump({"in_order": [s for s, _ in results] == [n * n for n in items], "me": os.getpid(),
           "processes": sorted({pid for _, pid in results})}, sys.stdout)
"""


def test_results_come_in_order_and_this_process_works_beside_a_worker():
    run = subprocess.run([sys.executable, "-c", POOL_RUN], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["in_order"]
    assert seen["me"] in seen["processes"]  # this process took chunks of its own
    assert len(seen["processes"]) == 2  # and one worker, for the other core


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
