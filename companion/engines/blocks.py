"""Row blocks and threads: the plumbing of the blocked engines.

The blocked engines process the data in row blocks, shared among
:data:`THREADS` threads (numpy and BLAS release the GIL; every matrix
product is cut into slices small enough for OpenBLAS to run it on one
thread: threads inside threads were several times slower here).  Each
block's partial sums are kept apart and added in block order, so the results
are bit-identical for any number of threads.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np


#: OpenBLAS runs a product on one thread when M*N*K < 2 * 4 * 65536; threads
#: started for small products cost more than they save on a busy machine.
SINGLE_THREAD_MNK = 2 * 4 * 65536


def gemm_step(k, d):
    """Rows per matrix product, small enough for a single-threaded product."""
    return max(8, (SINGLE_THREAD_MNK - 1) // max(k * d, 1))


def matmul_rows(A, B, out, step):
    """out = A @ B, as a loop of row slices of at most ``step`` rows."""
    m = A.shape[0]
    if m <= step:
        np.matmul(A, B, out=out)
        return
    for s in range(0, m, step):
        np.matmul(A[s : s + step], B, out=out[s : s + step])


def matmul_cols(W, Z, out, step):
    """out = W @ Z.T (out of shape (K, m)), as a loop over slices of the m columns.

    ``out`` keeps unit stride along its rows, so every slice goes to BLAS (an
    output with strided rows makes numpy fall back to a slow loop).
    """
    for s in range(0, Z.shape[0], step):
        np.matmul(W, Z[s : s + step].T, out=out[:, s : s + step])


def accumulate(ind, xc, sums, tmp, step):
    """sums += ind @ xc, as a loop over slices of the inner dimension."""
    for s in range(0, xc.shape[0], step):
        np.matmul(ind[:, s : s + step], xc[s : s + step], out=tmp)
        sums += tmp


def _usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: Threads the fast loops share their row blocks among (numpy and BLAS release
#: the GIL).  The results do not depend on it: every block's partial sums are
#: kept apart and added in block order.  1 runs everything on the calling thread.
THREADS = min(_usable_cpus(), 8)

_pool = None
_pool_lock = threading.Lock()


def _executor(workers):
    """The module's thread pool, with at least ``workers`` threads."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="companion")
        return _pool


def _forget_pool():  # a forked child has no threads: start a new pool there
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def n_workers(n_blocks):
    return max(1, min(int(THREADS), n_blocks))


def map_blocks(fn, n_blocks, workers):
    """``[fn(b, w) for b in range(n_blocks)]`` on ``workers`` threads.

    The blocks are split into ``workers`` contiguous runs; run ``w`` is done by
    one thread (the calling thread does run 0) with buffer set ``w``.  The
    results come back in block order.
    """
    if workers <= 1:
        return [fn(b, 0) for b in range(n_blocks)]
    edges = [n_blocks * w // workers for w in range(workers + 1)]

    def run(w):
        return [fn(b, w) for b in range(edges[w], edges[w + 1])]

    pool = _executor(workers - 1)
    futures = [pool.submit(run, w) for w in range(1, workers)]
    try:
        out = run(0)
    finally:
        wait(futures)  # no thread may still write to the buffers
    for f in futures:
        out.extend(f.result())
    return out
