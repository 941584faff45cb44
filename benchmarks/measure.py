"""Timing and peak-memory measurement shared by the cases."""

from __future__ import annotations

import gc
import time
import tracemalloc
import warnings


def timed(fit):
    """Run ``fit()`` once; return (seconds, result)."""
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the fixed-iteration runs
        start = time.perf_counter()
        result = fit()
        seconds = time.perf_counter() - start
    return seconds, result


def peak_memory(fit):
    """Peak traced memory of ``fit()`` in bytes, above what was allocated before it.

    tracemalloc sees every numpy array buffer (numpy reports its data
    allocations to it) and every Python object; it does not see scratch memory
    that compiled code obtains with ``malloc`` directly (scikit-learn's
    per-thread k-means chunk buffers, a few hundred KiB).
    """
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            result = fit()
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
    del result
    return peak


def alternate(fits, repeats):
    """Time every fit in ``fits`` (a dict name -> callable) ``repeats`` times, alternating.

    The order is reversed on every other repeat so that neither library
    always runs first (caches, turbo, the neighbours' load).  Returns
    ``{name: [seconds, ...]}`` and ``{name: last result}``.
    """
    names = list(fits)
    times = {name: [] for name in names}
    results = {}
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            seconds, results[name] = timed(fits[name])
            times[name].append(seconds)
    return times, results
