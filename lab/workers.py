"""Training outside the server's thread: a small pool of worker processes, runs streamed back.

Every visitor's run would otherwise train inside the one server process, where the GIL lets
only one of them compute at a time (8 visitors on 2 cores: a 0.5 s run took 100 s). Here a
run is a job for a `concurrent.futures.ProcessPoolExecutor` of a few long-lived workers,
started with the "forkserver" method: each is forked from a small single-threaded server
process, never from the app's server, whose torch, OpenMP and streamlit threads have started.
Unlike "spawn", a worker does not import the app's main module (streamlit's command line, which
printed warnings into the server's stderr and cost memory). Each job is `lab.run` itself, so its
result is the in-thread run's, bit for bit.

Two things travel beside the executor, handed to each worker when it starts:
- one queue the workers put ``(job id, steps)`` on, at most every `FLUSH_SECONDS` of a run,
  which a thread of this process hands to the job's own inbox (the live chart reads it); a run
  whose `data` draws more than its steps (the Playground's `Film`: the surface and every neuron)
  also sends its ``data.live_view()`` at most every `VIEW_SECONDS`, kept as the job's `view`;
- an array of cancel flags, one slot per job, which `lab.run` reads between steps (a read of
  shared memory, cheap enough for the descent lab's tens of thousands of steps).

A job cancelled before a worker takes it never starts; one cancelled while it runs ends at its
next step as "cancelled", with the artifacts of what it trained. One run per visitor at a time
is the caller's rule (`lab.ui.live` cancels a visitor's previous job before submitting).

The number of workers is a setting, `CONVERGENCE_LAB_WORKERS` (or the streamlit secret
``workers``, read by `lab.ui.live`): `default_workers()` by default, 0 for no pool (the run
trains in the caller's thread).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, NamedTuple

ENV = "CONVERGENCE_LAB_WORKERS"
#: Most workers a setting may ask for (each holds its own torch, a few hundred MB).
MOST = 8
#: How often a running job sends its new steps back (the live chart redraws at most every 0.25 s).
FLUSH_SECONDS = 0.1
#: Jobs in flight at once (running or queued): one per visitor, so this many visitors.
SLOTS = 4096
#: How often a run whose data has a `live_view()` sends it (a view costs the page a redraw of its heavy charts).
VIEW_SECONDS = 1.0
_START = "started"


class _View(NamedTuple):
    """A run's live view on its way to the page (see the module's docstring)."""

    value: Any


def default_workers() -> int:
    """Two workers, or one on a one-core machine: each visitor's run then gets a core of its own."""
    return min(2, os.cpu_count() or 1)


def configured(value: Any = None) -> int:
    """The number of workers a setting asks for (None or blank: the default); a one-line ValueError
    naming the setting when it is not a whole number from 0 to `MOST`."""
    if value is None or str(value).strip() == "":
        return default_workers()
    text = str(value).strip()
    if not text.isdigit() or int(text) > MOST:
        raise ValueError(f"{ENV}={text!r}: the number of worker processes must be a whole number from 0 to {MOST}")
    return int(text)


# ----------------------------------------------------------------------------- inside a worker
_steps_out: Any = None
_flags: Any = None


def _init(steps_out: Any, flags: Any) -> None:
    global _steps_out, _flags
    _steps_out, _flags = steps_out, flags


def _work(job_id: int, slot: int, config: Any, data: Any, stopping: Any) -> Any:
    """One job in a worker: `lab.run` with its steps sent back in batches; None if cancelled before it began."""
    if _flags[slot]:
        return None
    import lab
    from lab import process

    _steps_out.put((job_id, _START))
    batch: list = []
    sent = viewed = time.monotonic()
    watched = callable(getattr(data, "live_view", None))

    def on_step(step: Any) -> None:
        nonlocal sent, viewed
        batch.append(step)
        now = time.monotonic()
        if now - sent >= FLUSH_SECONDS:
            if watched and now - viewed >= VIEW_SECONDS:
                _steps_out.put((job_id, _View(data.live_view())))
                viewed = now
            _steps_out.put((job_id, batch[:]))
            batch.clear()
            sent = now

    process.freeze_imports()  # the first job of a worker imports its lab's engine (see lab.process)
    return lab.run(config, data=data, stopping=stopping, on_step=on_step, cancel=lambda: _flags[slot])


# ----------------------------------------------------------------------------- in the server
class Job:
    """A submitted run: its steps as they arrive (`poll`), its latest live `view` (None until one
    came, or for data without one), `cancel`, and its `result`."""

    def __init__(self, job_id: int, slot: int, pool: Pool) -> None:
        self.id, self.slot, self._pool = job_id, slot, pool
        self.inbox: queue.Queue = queue.Queue()
        self.started = False
        self.view: Any = None
        self.future: Future = Future()

    def poll(self, timeout: float) -> list:
        """The steps that arrived, waiting up to `timeout` seconds for the first batch ([] if none came)."""
        steps: list = []
        try:
            item = self.inbox.get(timeout=timeout)
            while True:
                if isinstance(item, _View):
                    self.view = item.value
                elif item == _START:
                    self.started = True
                else:
                    steps.extend(item)
                item = self.inbox.get_nowait()
        except queue.Empty:
            return steps

    def done(self) -> bool:
        return self.future.done()

    def cancel(self) -> None:
        """End the run: it never starts if no worker has taken it, else it stops at its next step."""
        self._pool.cancel(self)

    def result(self, timeout: float | None = None) -> Any:
        """The `RunResult` (None for a job cancelled before it began); re-raises the run's own error."""
        if self.future.cancelled():
            return None
        return self.future.result(timeout)


class Pool:
    """`workers` processes that run jobs in the order they came."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        self.workers = workers
        context = multiprocessing.get_context("forkserver")
        self._steps_in = context.SimpleQueue()
        self.flags = context.RawArray("b", SLOTS)
        self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_init,
                                             initargs=(self._steps_in, self.flags))
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._free = list(range(SLOTS - 1, -1, -1))
        self._ids = itertools.count()
        self._closed = False
        threading.Thread(target=self._route, name="lab-workers-steps", daemon=True).start()

    def submit(self, config: Any, *, data: Any = None, stopping: Any = None) -> Job:
        """Queue `lab.run(config, data=data, stopping=stopping)` for the next free worker."""
        with self._lock:
            if not self._free:
                raise RuntimeError(f"{SLOTS} runs are waiting for a worker already; try again in a moment")
            job = Job(next(self._ids), self._free.pop(), self)
            self.flags[job.slot] = 0
            self._jobs[job.id] = job
        try:
            future = self._executor.submit(_work, job.id, job.slot, config, data, stopping)
        except BaseException:
            self._release(job)
            raise
        job.future = future
        future.add_done_callback(lambda _, job=job: self._release(job))
        return job

    @property
    def broken(self) -> bool:
        return self._closed or getattr(self._executor, "_broken", False)

    def running(self) -> int:
        """Jobs submitted and not finished (running or waiting for a worker)."""
        with self._lock:
            return len(self._jobs)

    def pids(self) -> list[int]:
        """The worker processes' ids (those started so far)."""
        return sorted(getattr(self._executor, "_processes", None) or {})

    def shutdown(self) -> None:
        self._closed = True
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._steps_in.put(None)

    def cancel(self, job: Job) -> None:
        with self._lock:
            if job.id in self._jobs:  # a finished job's slot may be another's already
                self.flags[job.slot] = 1
        job.future.cancel()

    def _release(self, job: Job) -> None:
        with self._lock:
            if self._jobs.pop(job.id, None) is not None:
                self._free.append(job.slot)

    def _route(self) -> None:
        while True:
            message = self._steps_in.get()
            if message is None:
                return
            job_id, payload = message
            with self._lock:
                job = self._jobs.get(job_id)
            if job is not None:  # a job already finished has all its steps in its result
                job.inbox.put(payload)


_shared_lock = threading.Lock()
_shared: Pool | None = None


def shared(workers: int) -> Pool | None:
    """The process's pool of `workers` workers, started on first use and again after a worker died
    (or when the count changed); None for 0 workers."""
    global _shared
    with _shared_lock:
        if _shared is not None and (_shared.broken or _shared.workers != workers):
            old, _shared = _shared, None
            threading.Thread(target=old.shutdown, daemon=True).start()
        if workers and _shared is None:
            _shared = Pool(workers)
        return _shared


__all__ = ["ENV", "BrokenProcessPool", "Job", "Pool", "configured", "default_workers", "shared"]
