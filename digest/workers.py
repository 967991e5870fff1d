"""Spread independent work over the machine's cores, in worker processes.

Workers are forked, so each inherits the build's data (config, theme, plan) without it being
sent through a pipe; only the chunk indices go out and the results come back. Small jobs stay
in the calling process, where starting workers would cost more than it saves. A process that
forks workers runs no other threads (digest serve builds in a process of its own), and every
worker dies with the process that forked it, however that one dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# The job being run, as the forked workers see it. Set only for the duration of run_parallel.
_JOB: dict[str, Any] = {}


Progress = Callable[[str, int, int], None]
"""Told what a build is doing: (stage, items done, items in the stage)."""


def stage_counter(progress: Progress | None, stage: str, total: int
                  ) -> Callable[[int], None] | None:
    """A callback that tells `progress` how far one stage has come."""
    if progress is None or not total:
        return None
    done = 0
    progress(stage, 0, total)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress(stage, done, total)

    return advance


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies, even by SIGKILL (Linux).

    Without it a worker blocked on its pipe outlives a killed build for good.
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def start_worker() -> None:
    """A worker's first step: die with the parent, collect only its own garbage."""
    die_with_parent()
    gc.freeze()
    gc.enable()


@contextlib.contextmanager
def collecting_own() -> Iterator[None]:
    """Collect cyclic garbage made inside the block, without scanning what was there before.

    A build pauses the collector (build.gc_paused), but rendering a page leaves cycles
    behind (Jinja2's contexts and macros): kept for the whole build, they were most of its
    peak memory. Objects made before are frozen, so a collection looks at new ones only;
    forked workers do the same from their start (start_worker).
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        if not enabled:
            gc.disable()
        gc.unfreeze()


def worker_count(jobs: int) -> int:
    """--jobs 0 means one worker per available core."""
    if jobs > 0:
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    function, items, setup = _JOB["function"], _JOB["items"], _JOB["setup"]
    state = setup() if setup else None
    return [function(state, item) for item in items[bounds[0]:bounds[1]]]


def run_parallel(function: Callable[[Any, T], R], items: Sequence[T], jobs: int,
                 setup: Callable[[], Any] | None = None, minimum: int = 200,
                 progress: Callable[[int], None] | None = None) -> list[R]:
    """Map `function(state, item)` over items, in order; `setup()` makes each worker's state.

    `progress(n)` is told whenever n more items are done.
    """
    advance = progress or (lambda n: None)
    workers = min(worker_count(jobs), max(1, len(items) // max(1, minimum // 4)))
    if workers <= 1 or len(items) < minimum or "fork" not in \
            multiprocessing.get_all_start_methods():
        with collecting_own():
            state = setup() if setup else None
            done = []
            for item in items:
                done.append(function(state, item))
                advance(1)
        return done
    size = -(-len(items) // (workers * 4))
    chunks = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    _JOB.update(function=function, items=items, setup=setup)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                 initializer=start_worker) as pool:
            results: list[R] = []
            for part in pool.map(_run_chunk, chunks):
                results.extend(part)
                advance(len(part))
            return results
    finally:
        _JOB.clear()
