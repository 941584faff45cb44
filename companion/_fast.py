"""Fast inner loops for :func:`~companion.kmeans` and :func:`~companion.gmm`.

The step functions the book walks through (:func:`~companion.assign`,
:func:`~companion.update_centers`, :func:`~companion.e_step`,
:func:`~companion.m_step`, ...) are written for reading.  This module
computes the *same iterates* faster, with numpy only, for the loops inside
the fits.  ``tests/test_fast.py`` checks it against the plain steps: the same
labels at every iteration, and parameters equal to 1e-10.

Threads
-------
The data are processed in row blocks, shared among :data:`THREADS` threads
(numpy and BLAS release the GIL; every matrix product is cut into slices small
enough for OpenBLAS to run it on one thread).  Each block's partial sums are
kept apart and added in block order, so the results are bit-identical for
any number of threads.

k-means (:func:`lloyd`)
-----------------------
Lloyd's algorithm with the bounds of Hamerly (2010), vectorised:

* Every point keeps an upper bound :math:`U_n \\ge \\lVert x_n-\\mu_{z_n}\\rVert`
  and a lower bound :math:`L_n \\le \\min_{j\\ne z_n}\\lVert x_n-\\mu_j\\rVert`.
  When the centres move by :math:`\\delta_k`, the triangle inequality gives
  :math:`U_n \\mathrel{+}= \\delta_{z_n}` and
  :math:`L_n \\mathrel{-}= \\max_{j\\ne z_n}\\delta_j`.  A point with
  :math:`L_n > U_n` cannot change cluster, and is skipped.  The drifts are
  accumulated per cluster, so the bound test costs one gather per point.
* The test keeps a margin :math:`\\sqrt{2T}` with
  :math:`T = \\max(10^{-10}, 16(D+4)\\varepsilon)\\,(\\max_n\\lVert x_n\\rVert^2 +
  \\max_k\\lVert\\mu_k\\rVert^2)`, far above the rounding error of the expanded
  norm the plain :func:`~companion.assign` uses, so a skipped point is one
  whose label the plain step would also keep.
* While many labels change (more than :data:`BOUNDS_MOVED_FRACTION` of them in
  the previous iteration) nearly every point would fail its test, so the
  pass computes labels only, without bounds; later passes keep bounds.
* The points to reassign are processed in row blocks: one matrix product
  into a preallocated buffer, ``+ ||mu||^2`` only (``||x||^2`` is constant
  along a row and cannot change the argmin), the argmin and, with bounds,
  the second smallest value (the new lower bound).
* The cluster sums :math:`\\sum_{z_n=k} x_n` (centred on the data mean) are
  updated from the points that changed cluster only, through a small
  :math:`\\pm 1` indicator matrix times their rows (one matrix product);
  centres are sums over counts, as in :func:`~companion.update_centers`,
  whose empty-cluster policy is reused.  They equal the plain step's to
  about 1e-15 (another order of summation).
* The objective :math:`J` of the history comes from the same sums,
  :math:`J = \\sum_n\\lVert x_n-\\bar x\\rVert^2 - \\sum_k \\lVert s_k\\rVert^2/N_k
  + \\sum_k N_k\\lVert m_k-\\mu_k\\rVert^2` (:math:`s_k` the centred sum and
  :math:`m_k` the mean of cluster :math:`k`); when :math:`J` is so small
  against the spread of the data that this cancels badly, it is computed
  directly.

Gaussian mixtures (:func:`em`)
------------------------------
One pass over the data per EM iteration: the log-densities of a block are
one matrix product of a (K, F) weight matrix with augmented features of the
rows (below, before :func:`_em_weights`), the log-sum-exp reduces over the
first axis, and the M-step's sufficient statistics are one more product.
Passes that feed an M-step do not evaluate ``exp`` for responsibilities below
``exp(EXP_FLOOR)`` relative to the largest of their point (they stay 0); after
the M-step, :func:`_floor_harmless` bounds what they could have moved, and
when that exceeds :data:`FLOOR_RTOL` the E-step is redone exactly.  The
passes that produce the returned responsibilities are exact.

References
----------
G. Hamerly, "Making k-means even faster", SDM 2010.
C. Elkan, "Using the triangle inequality to accelerate k-means", ICML 2003.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

_EPS = np.finfo(np.float64).eps

#: When False, :func:`~companion.kmeans` and :func:`~companion.gmm` run their
#: plain loops over the book's step functions instead (same iterates, slower).
ENABLED = True

#: Target number of float64 entries of one (rows, K) distance block (~1 MiB).
BLOCK_ENTRIES = 1 << 17

#: The bound tests of an iteration run over groups of this many blocks, so
#: that few points to reassign still make large numpy calls.
LLOYD_GROUP_BLOCKS = 8

#: Bounds are computed (and points skipped) once at most this fraction of the
#: labels changed in the previous iteration.
BOUNDS_MOVED_FRACTION = 0.1

#: A group of rows whose bounds leave at least this fraction of candidates is
#: reassigned whole (no gathers); otherwise only its candidates are.
FULL_BLOCK_FRACTION = 0.5

#: Target number of float64 entries of one EM block's (K + F, rows) buffers (2 MiB).
EM_BLOCK_ENTRIES = 1 << 18

#: E-step passes that feed an M-step leave responsibilities below
#: exp(EXP_FLOOR) ~ 3e-20 (relative to the largest of their point) at zero
#: instead of evaluating exp, when at most EXP_SKIP_MAX_FRACTION of a block's
#: entries are above it.  After the M-step a bound on what they could have
#: moved is checked (:func:`_floor_harmless`); above FLOOR_RTOL the E-step is
#: redone exactly.
EXP_FLOOR = -45.0
EXP_SKIP_MAX_FRACTION = 0.5
FLOOR_RTOL = 1e-12

#: EM keeps the features of diag and spherical fits (at most three times the
#: memory of X) for the whole fit when they take at most this many bytes.
FEATURE_CACHE_BYTES = 1 << 30


#: OpenBLAS runs a product on one thread when M*N*K < 2 * 4 * 65536; threads
#: started for small products cost more than they save on a busy machine.
SINGLE_THREAD_MNK = 2 * 4 * 65536


def _block_rows(k, d):
    """Rows per block: the distance block and the gathered rows stay cache-sized."""
    return int(np.clip(BLOCK_ENTRIES // max(k, d, 1), 256, 8192))


def _gemm_step(k, d):
    """Rows per matrix product, small enough for a single-threaded product."""
    return max(8, (SINGLE_THREAD_MNK - 1) // max(k * d, 1))


def _matmul_rows(A, B, out, step):
    """out = A @ B, as a loop of row slices of at most ``step`` rows."""
    m = A.shape[0]
    if m <= step:
        np.matmul(A, B, out=out)
        return
    for s in range(0, m, step):
        np.matmul(A[s : s + step], B, out=out[s : s + step])


def _matmul_cols(W, Z, out, step):
    """out = W @ Z.T (out of shape (K, m)), as a loop over slices of the m columns.

    ``out`` keeps unit stride along its rows, so every slice goes to BLAS (an
    output with strided rows makes numpy fall back to a slow loop).
    """
    for s in range(0, Z.shape[0], step):
        np.matmul(W, Z[s : s + step].T, out=out[:, s : s + step])


def _accumulate(ind, xc, sums, tmp, step):
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


def _n_workers(n_blocks):
    return max(1, min(int(THREADS), n_blocks))


def _map_blocks(fn, n_blocks, workers):
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


class _LloydBuffers:
    """One thread's buffers for a block of ``b`` rows."""

    def __init__(self, b, d, k, group):
        self.kd = np.empty((k, d))
        self.dist = np.empty((b, k))
        self.xb = np.empty((b, d))
        self.cb = np.empty((b, d))
        self.ind = np.empty((k, b))
        self.ar = np.arange(b)
        self.gap = np.empty(group)
        self.mask = np.empty(group, dtype=bool)


class _LloydWorkspace:
    """Buffers reused across blocks and iterations (first-touch memory is slow)."""

    def __init__(self, n, d, k):
        self.n, self.d, self.k = n, d, k
        self.rows = _block_rows(k, d)
        self.step = _gemm_step(k, d)
        self.n_blocks = -(-n // self.rows)
        self.workers = _n_workers(self.n_blocks)
        # the bound tests run over groups of blocks: fewer, larger numpy calls
        self.group = self.rows * LLOYD_GROUP_BLOCKS
        b = min(self.rows, n)
        self.bufs = [_LloydBuffers(b, d, k, min(self.group, n)) for _ in range(self.workers)]

    def map(self, fn, n_items, rows=None):
        """``fn(s, e, buffers)`` over blocks of ``n_items`` rows, in block order."""
        rows = rows or self.rows
        n_blocks = -(-n_items // rows)

        def block(b, w):
            s = b * rows
            return fn(s, min(s + rows, n_items), self.bufs[w])

        return _map_blocks(block, n_blocks, min(self.workers, n_blocks))


def _nearest_two(Xb, m2C, c_sq, dist, ar, step):
    """Index of the nearest centre and the two smallest ``||x - mu||^2 - ||x||^2``.

    ``c_sq`` holds ``||mu_k||^2`` repeated on (at least) as many rows as ``Xb``.

    Ties go to the lowest index, as in :func:`~companion.assign`.
    """
    m = Xb.shape[0]
    dist = _distances(Xb, m2C, c_sq, dist, step)
    ar = ar[:m]
    lab = np.argmin(dist, axis=1)
    best = dist[ar, lab]
    if dist.shape[1] == 1:
        return lab, best, np.full(m, np.inf)
    dist[ar, lab] = np.inf
    # argmin and a gather: much faster than a min over a short last axis
    second = dist[ar, np.argmin(dist, axis=1)]
    return lab, best, second


def _nearest_one(Xb, m2C, c_sq, dist, step):
    """Index of the nearest centre only (ties to the lowest index), as in :func:`_nearest_two`."""
    return np.argmin(_distances(Xb, m2C, c_sq, dist, step), axis=1)


def _distances(Xb, m2C, c_sq, dist, step):
    """``||x - mu_k||^2 - ||x||^2`` for the rows of Xb, in the first rows of ``dist``."""
    dist = dist[: Xb.shape[0]]
    _matmul_rows(Xb, m2C.T, dist, step)  # -2 x . mu_k
    # + ||mu_k||^2; c_sq repeated on every row: an add of equal shapes is much
    # faster than a broadcast along a short last axis
    dist += c_sq[: Xb.shape[0]]
    return dist


def _bounds(best, second, x_sq, T):
    """Upper and lower bounds on the true distances from the computed ones."""
    U = np.sqrt(np.maximum(best + x_sq, 0.0) + 2.0 * T)
    with np.errstate(invalid="ignore"):
        L = np.sqrt(np.maximum(second + x_sq - 2.0 * T, 0.0))
    return U, L


def _objective_direct(X, centers, labels, ws):
    """sum_n ||x_n - mu_{z_n}||^2 in blocks (the plain formula, bounded memory)."""
    total = 0.0
    rows = ws.rows
    for s in range(0, X.shape[0], rows):
        e = min(s + rows, X.shape[0])
        cb = ws.bufs[0].cb[: e - s]
        np.take(centers, labels[s:e], axis=0, out=cb)
        np.subtract(X[s:e], cb, out=cb)
        total += float(np.einsum("nd,nd->", cb, cb))
    return total


def _objective(X, centers, labels, sums, counts, mean, scatter0, ws):
    """J(mu, z) from the centred cluster sums; direct when that would cancel."""
    with np.errstate(invalid="ignore", divide="ignore"):
        nz = counts > 0
        between = float(np.sum(np.einsum("kd,kd->k", sums[nz], sums[nz]) / counts[nz]))
        m = sums[nz] / counts[nz, None]  # cluster means, centred
        diff = m - (centers[nz] - mean)
        shift = float(np.sum(counts[nz] * np.einsum("kd,kd->k", diff, diff)))
    J = scatter0 - between + shift
    # J = W - B + S loses about eps * W / J of relative precision; keep 1e-13
    if not np.isfinite(J) or J <= 1e-3 * scatter0:
        return _objective_direct(X, centers, labels, ws)
    return J


def _scatter(X, mean, ws):
    """sum_n ||x_n - xbar||^2, over blocks on the threads (added in block order)."""

    def block(s, e, buf):
        cb = buf.cb[: e - s]
        np.subtract(X[s:e], mean, out=cb)
        return float(np.einsum("nd,nd->", cb, cb))

    return float(sum(ws.map(block, X.shape[0])))


def _norms_and_mean(X, ws):
    """||x_n||^2 for every row, and the mean of the rows (block sums in block order)."""
    x_sq = np.empty(X.shape[0])

    def block(s, e, buf):
        np.einsum("nd,nd->n", X[s:e], X[s:e], out=x_sq[s:e])
        return X[s:e].sum(axis=0)

    total = np.zeros(X.shape[1])
    for part in ws.map(block, X.shape[0]):
        total += part
    return x_sq, total / X.shape[0]


def _cluster_sums(xc, into, out_of, buf, step):
    """(K, D) sums of the rows of xc: + into cluster ``into``, - out of ``out_of`` (or None).

    One product of a small +-1 indicator matrix with the rows.
    """
    m = xc.shape[0]
    ind = buf.ind[:, :m]
    ind.fill(0.0)
    ar = buf.ar[:m]
    ind[into, ar] = 1.0
    if out_of is not None:
        ind[out_of, ar] = -1.0  # into != out_of, so the two never collide
    part = np.zeros((ind.shape[0], xc.shape[1]))
    _accumulate(ind, xc, part, buf.kd, step)
    return part


def _add_moves(sums, counts, X, idx, old, new, mean, ws):
    """Move rows ``idx`` of X from clusters ``old`` to ``new`` in the centred sums and counts."""
    k = sums.shape[0]

    def block(s, e, buf):
        xc = buf.cb[: e - s]
        np.take(X, idx[s:e], axis=0, out=xc)
        xc -= mean
        return _cluster_sums(xc, new[s:e], old[s:e], buf, ws.step)

    for part in ws.map(block, idx.size):  # added in block order
        sums += part
    counts += np.bincount(new, minlength=k)
    counts -= np.bincount(old, minlength=k)


def _centers_from_sums(X, labels, sums, counts, mean):
    """mu_k = mean + s_k / N_k, and the plain step's policy for empty clusters."""
    from .kmeans import _relocate_empty

    centers = sums / np.maximum(counts, 1)[:, None] + mean
    empty = counts == 0
    if empty.any():
        centers = _relocate_empty(X, labels, centers, np.flatnonzero(empty))
    return centers


class _Lloyd:
    """The state of the bounded Lloyd iterations over the rows of X.

    ``labels``, ``Ubase``, ``Lbase`` and ``Gbase`` have one entry per point;
    ``U_n = Ubase_n + drift[z_n]``, ``L_n = Lbase_n - drift_other[z_n]`` and
    ``L_n - U_n = Gbase_n - (drift + drift_other)[z_n]``.  The block methods
    write the rows s:e only, so blocks can run on different threads.
    """

    def __init__(self, X, ws):
        n, d = X.shape
        self.X, self.ws = X, ws
        self.x_sq, self.mean = _norms_and_mean(X, ws)
        self.x_sq_max = float(self.x_sq.max())
        self.c_sq_max = 0.0
        self.tol_coef = max(1e-10, 16.0 * (d + 4) * _EPS)
        self.labels = np.empty(n, dtype=np.intp)
        self.Ubase = np.empty(n)
        self.Lbase = np.empty(n)
        self.Gbase = np.empty(n)
        k = ws.k
        self.drift = np.zeros(k)  # sum over iterations of delta_k
        self.drift_other = np.zeros(k)  # sum over iterations of max_{j != k} delta_j
        self.drift_total = np.zeros(k)
        self.have_bounds = False  # whether Ubase, Lbase, Gbase hold valid bounds
        self.with_bounds = True  # whether the next pass computes bounds

    def set_centers(self, C):
        """New centres: the rounding margin and the terms of the expanded distance."""
        self.centers = C
        c_sq = np.einsum("kd,kd->k", C, C)
        self.c_sq = np.tile(c_sq, (min(self.ws.rows, self.ws.n), 1))  # one row per row of a block
        self.m2C = -2.0 * C
        self.c_sq_max = max(self.c_sq_max, float(np.max(c_sq)))
        self.T = self.tol_coef * (self.x_sq_max + self.c_sq_max)
        self.margin = np.sqrt(2.0 * self.T)

    def move_centers(self, C):
        """Centres moved to C: drift the bounds by how far each centre moved."""
        step = C - self.centers
        delta = np.sqrt(np.einsum("kd,kd->k", step, step))
        if delta.size > 1:
            top = np.argmax(delta)
            other = np.full(delta.size, delta[top])
            rest = delta.copy()
            rest[top] = -np.inf
            other[top] = rest.max()
            self.drift += delta
            self.drift_other += other
            np.add(self.drift, self.drift_other, out=self.drift_total)
        self.set_centers(C)

    def _store(self, rows, lab, best, second):
        """Labels and bounds of ``rows`` (a slice or indices) from computed distances."""
        U, L = _bounds(best, second, self.x_sq[rows], self.T)
        self.labels[rows] = lab
        U -= self.drift[lab]
        L += self.drift_other[lab]
        self.Ubase[rows] = U
        self.Lbase[rows] = L
        self.Gbase[rows] = L - U

    def _nearest(self, Xb, rows, buf):
        """Labels of the rows ``rows`` (a slice; Xb their data), and their bounds
        when ``with_bounds``."""
        if not self.with_bounds:
            lab = _nearest_one(Xb, self.m2C, self.c_sq, buf.dist, self.ws.step)
            self.labels[rows] = lab
            return lab
        lab, best, second = _nearest_two(Xb, self.m2C, self.c_sq, buf.dist, buf.ar, self.ws.step)
        self._store(rows, lab, best, second)
        return lab

    def assign_all(self, s, e, buf):
        """Nearest centre of rows s:e and their bounds; the block's centred cluster sums."""
        ws, X = self.ws, self.X
        lab = self._nearest(X[s:e], slice(s, e), buf)
        xc = buf.cb[: e - s]
        np.subtract(X[s:e], self.mean, out=xc)
        return _cluster_sums(xc, lab, None, buf, ws.step)

    def reassign(self, s, e, buf):
        """New labels and bounds for the rows s:e whose bounds no longer prove
        their label (L_n - U_n <= margin); returns the rows that moved, their
        old and new labels."""
        rows = self.ws.rows
        if not self.have_bounds:
            parts = [self._reassign_rows(b, min(b + rows, e), buf) for b in range(s, e, rows)]
            return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
        m = e - s
        gap = buf.gap[:m]
        np.take(self.drift_total, self.labels[s:e], out=gap)
        np.subtract(self.Gbase[s:e], gap, out=gap)
        local = np.flatnonzero(np.less_equal(gap, self.margin, out=buf.mask[:m]))
        if local.size == 0:
            return None
        if local.size >= FULL_BLOCK_FRACTION * m:
            # most rows are candidates: all rows, in blocks, without gathers
            parts = [self._reassign_rows(b, min(b + rows, e), buf) for b in range(s, e, rows)]
        else:
            idx = local + s
            parts = [self._reassign_some(idx[b : b + rows], buf) for b in range(0, idx.size, rows)]
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))

    def _reassign_rows(self, s, e, buf):
        """Reassign every row of s:e (at most one block)."""
        lab_old = self.labels[s:e].copy()
        lab = self._nearest(self.X[s:e], slice(s, e), buf)
        moved = np.flatnonzero(lab != lab_old)
        return moved + s, lab_old[moved], lab[moved]

    def _reassign_some(self, idx, buf):
        """Reassign the rows ``idx`` (at most one block) whose bounds failed."""
        xb = buf.xb[: idx.size]
        np.take(self.X, idx, axis=0, out=xb)
        lab_old = self.labels[idx]
        # (tightening U_n with the exact distance to the own centre first, as
        # Hamerly does, removed too few candidates here to pay for itself)
        lab, best, second = _nearest_two(xb, self.m2C, self.c_sq, buf.dist, buf.ar, self.ws.step)
        self._store(idx, lab, best, second)
        moved = lab != lab_old
        return idx[moved], lab_old[moved], lab[moved]


def lloyd(X, centers, max_iter):
    """Lloyd's iterations from ``centers``; the same result as ``kmeans._lloyd``.

    ``X`` is a checked float64 array (n_samples, n_features), ``centers`` the
    initial centres (n_clusters, n_features).  Returns a ``KMeansResult``.
    """
    from .kmeans import _lloyd_result

    X = np.ascontiguousarray(X)
    n, d = X.shape
    k = centers.shape[0]
    ws = _LloydWorkspace(n, d, k)
    st = _Lloyd(X, ws)
    mean = st.mean
    scatter0 = _scatter(X, mean, ws)

    # ---- initial assignment of every point and the cluster sums
    st.set_centers(centers)
    st.with_bounds = False  # (while many points move, bounds do not pay; see below)
    sums = np.zeros((k, d))
    for part in ws.map(st.assign_all, n):  # added in block order
        sums += part
    labels = st.labels
    counts = np.bincount(labels, minlength=k)

    objectives = [_objective(X, centers, labels, sums, counts, mean, scatter0, ws)]
    history_centers = [centers]
    n_changed = [n]
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        centers = _centers_from_sums(X, labels, sums, counts, mean)
        st.move_centers(centers)
        # bounds are kept only once few points move: while many do, nearly all
        # points fail their bound test anyway and a pass without bounds is cheaper
        st.with_bounds = n_changed[-1] <= BOUNDS_MOVED_FRACTION * n
        moves = [r for r in ws.map(st.reassign, n, ws.group) if r is not None and r[0].size]
        st.have_bounds = st.with_bounds
        changed = int(sum(r[0].size for r in moves))
        if changed:
            idx, old, new = (np.concatenate([r[i] for r in moves]) for i in range(3))
            _add_moves(sums, counts, X, idx, old, new, mean, ws)
        objectives.append(_objective(X, centers, labels, sums, counts, mean, scatter0, ws))
        history_centers.append(centers)
        n_changed.append(changed)
        if changed == 0:
            converged = True
            break
    return _lloyd_result(
        centers, labels, objectives, history_centers, n_changed, n_iter, converged, max_iter, stacklevel=3
    )


# ---------------------------------------------------------------------------
# Gaussian mixtures
# ---------------------------------------------------------------------------
#
# One pass over the data per EM iteration.  For a block of rows, the
# log-densities of all K components are one matrix product of a (K, F) weight
# matrix with augmented features of the rows, computed in coordinates centred
# on the data mean and stored transposed, (F, rows), so that every feature is
# one contiguous row:
#
#   diag        : features [x, x*x, 1]                       F = 2D + 1
#   spherical   : features [x, ||x||^2, 1]                   F = D + 2
#   full        : features [x_i x_j (i <= j), x, 1]          F = D(D+1)/2 + D + 1
#   tied        : features [y, ||y||^2, 1] with y = P^T x,   F = D + 2
#                 P the shared precision Cholesky factor
#
# a_kn = log pi_k + log N(x_n | mu_k, Sigma_k) is laid out (K, rows) so that
# the log-sum-exp reduces over the first axis (elementwise over rows, fast),
# the responsibilities are computed in place, and the sufficient statistics
# of the M-step are one more product, R @ features^T, per block.  The blocks
# are shared among the threads; their statistics are added in block order.

_LOG_2PI = np.log(2.0 * np.pi)


class _EMBuffers:
    """One thread's buffers for a block of ``b`` rows."""

    def __init__(self, k, d, f, b, tied):
        self.Z = np.empty((f, b))  # features, transposed
        self.A = np.empty(k * b)  # a_kn, then r_nk: (K, rows), contiguous per block
        self.keep = np.empty(k * b, dtype=bool)
        self.mx = np.empty(b)
        self.kf = np.empty((k, f))
        if tied:
            self.Zs = np.empty((d + 1, b))  # M-step features [x, 1]
            self.kf_s = np.empty((k, d + 1))


class _EMWorkspace:
    def __init__(self, X, covariance_type, k):
        n, d = X.shape
        self.n, self.d, self.k = n, d, k
        self.ctype = covariance_type
        self.mean = X.mean(axis=0)
        if covariance_type == "full":
            self.iu = np.triu_indices(d)
            self.f = len(self.iu[0]) + d + 1
        elif covariance_type == "diag":
            self.f = 2 * d + 1
        else:  # spherical [x, ||x||^2, 1]; tied [y, ||y||^2, 1]
            self.f = d + 2
        self.f_stats = d + 1 if covariance_type == "tied" else self.f
        self.rows = _em_block_rows(k, self.f)
        self.n_blocks = -(-n // self.rows)
        self.workers = _n_workers(self.n_blocks)
        b = min(self.rows, n)
        self.bufs = [
            _EMBuffers(k, d, self.f, b, covariance_type == "tied") for _ in range(self.workers)
        ]
        self.step = _gemm_step(k, self.f)
        self.step_y = _gemm_step(d, d)
        self.scatter = None  # tied: sum_n x x^T (centred), computed once
        # the centred data, transposed, once per fit (as much memory as X)
        self.XcT = np.empty((d, n))
        for s in range(0, n, self.rows):
            e = min(s + self.rows, n)
            np.subtract(X[s:e].T, self.mean[:, None], out=self.XcT[:, s:e])
        # features that do not depend on the parameters, once per fit when
        # they take at most three times the memory of X
        self.ZT = None
        if covariance_type != "tied" and self.f <= 3 * d and self.f * n * 8 <= FEATURE_CACHE_BYTES:
            self.ZT = np.empty((self.f, n))
            for s in range(0, n, self.rows):
                self._features(s, min(s + self.rows, n), None, self.ZT[:, s : s + self.rows])

    def centred(self, s, e):
        """(x_n - xbar)^T for rows s:e, shape (D, e - s)."""
        return self.XcT[:, s:e]

    def features(self, s, e, P, buf):
        """Augmented features of rows s:e, transposed; returns (xc^T, Z^T)."""
        if self.ZT is not None:
            return self.XcT[:, s:e], self.ZT[:, s:e]
        return self.XcT[:, s:e], self._features(s, e, P, buf.Z[:, : e - s])

    def _features(self, s, e, P, Z):
        d = self.d
        xc = self.XcT[:, s:e]
        if self.ctype == "full":
            o = 0
            for i in range(d):  # x_i x_j for j >= i, in np.triu_indices order
                np.multiply(xc[i:], xc[i], out=Z[o : o + d - i])
                o += d - i
            Z[o : o + d] = xc
        elif self.ctype == "diag":
            Z[:d] = xc
            np.multiply(xc, xc, out=Z[d : 2 * d])
        else:
            y = Z[:d]
            if self.ctype == "tied":
                _matmul_cols(P.T, xc.T, y, self.step_y)  # y = P^T x
            else:
                y[...] = xc
            np.einsum("dn,dn->n", y, y, out=Z[d])  # ||y||^2
        Z[-1] = 1.0
        return Z


def _em_block_rows(k, f):
    """Rows per E-step block: the (K + F, rows) buffers hold about EM_BLOCK_ENTRIES numbers."""
    return int(np.clip(EM_BLOCK_ENTRIES // (k + f), 128, 8192))


def _em_weights(params, ws):
    """(K, F) matrix W with a_kn = W_k . features(x_n), and for tied P (centred)."""
    k, d = ws.k, ws.d
    ctype = ws.ctype
    P = params._prec_chol
    mu = params.means - ws.mean
    with np.errstate(divide="ignore"):
        log_pi = np.log(params.weights)
    W = np.empty((k, ws.f))
    if ctype == "full":
        # Lambda_k = P_k P_k^T;  a = c_k + x.(Lambda mu) - x^T Lambda x / 2
        Lam = np.matmul(P, np.swapaxes(P, 1, 2))
        i, j = ws.iu
        q = len(i)
        W[:, :q] = -Lam[:, i, j]  # off-diagonal x_i x_j appear twice in x^T Lambda x
        diag = i == j
        W[:, :q][:, diag] *= 0.5
        b = np.einsum("kij,kj->ki", Lam, mu)
        W[:, q : q + d] = b
        log_det = np.sum(np.log(np.diagonal(P, axis1=1, axis2=2)), axis=1)
        W[:, -1] = log_pi - 0.5 * d * _LOG_2PI + log_det - 0.5 * np.einsum("ki,ki->k", b, mu)
        return W, None
    if ctype == "tied":
        m = mu @ P  # a = c_k + y.m_k - ||y||^2 / 2 - ||m_k||^2 / 2
        W[:, :d] = m
        W[:, d] = -0.5
        log_det = np.sum(np.log(np.diag(P)))
        W[:, -1] = log_pi - 0.5 * d * _LOG_2PI + log_det - 0.5 * np.einsum("kd,kd->k", m, m)
        return W, P
    if ctype == "spherical":
        prec = P**2  # 1 / sigma_k^2, shape (K,)
        # a = c_k + x.mu_k / sigma^2 - ||x||^2 / (2 sigma^2) - ||mu||^2 / (2 sigma^2)
        W[:, :d] = mu * prec[:, None]
        W[:, d] = -0.5 * prec
        log_det = d * np.log(P)
        W[:, -1] = log_pi - 0.5 * d * _LOG_2PI + log_det - 0.5 * prec * np.einsum("kd,kd->k", mu, mu)
        return W, None
    prec = P**2  # 1 / sigma_kd^2, shape (K, D)
    log_det = np.sum(np.log(P), axis=1)
    W[:, :d] = mu * prec
    W[:, d : 2 * d] = -0.5 * prec
    W[:, -1] = log_pi - 0.5 * d * _LOG_2PI + log_det - 0.5 * np.einsum("kd,kd->k", mu * mu, prec)
    return W, None


def _em_safe(params, ws):
    """Whether the expanded quadratic forms keep the log-densities accurate.

    Expanding ``(x-mu)^T Lambda (x-mu)`` loses about
    ``eps * ||P||_F^2 (max_n ||x_n||^2 + ||mu_k||^2)`` (centred coordinates);
    beyond 1e-6 (far-away outliers against a collapsed component, say) the
    plain loop, whose E-step forms ``x - mu`` first, is used instead.
    """
    mu = params.means - ws.mean
    with np.errstate(over="ignore", invalid="ignore"):
        bound = _EPS * _prec_norm2(params, ws) * (ws.radius2 + np.einsum("kd,kd->k", mu, mu))
    return bool(np.all(bound <= 1e-6))


def _prec_norm2(params, ws):
    """||P_k||_F^2 = trace(Sigma_k^{-1}) per component (>= 1 / smallest variance)."""
    P = params._prec_chol
    if ws.ctype == "full":
        return np.einsum("kij,kij->k", P, P)
    if ws.ctype == "tied":
        return np.full(ws.k, np.einsum("ij,ij->", P, P))
    if ws.ctype == "diag":
        return np.einsum("kd,kd->k", P, P)
    return ws.d * P**2


def _floor_harmless(params, S, ws):
    """Whether the responsibilities dropped by a floored pass moved ``params`` by < FLOOR_RTOL.

    Each dropped r_nk is below e^floor, so component k lost at most
    ``n e^floor`` of its N_k, and at most that times ``max_n ||x_n||`` and
    ``max_n ||x_n||^2`` of its other sums (centred coordinates, radius R).
    Its mean then moves by less than ``2 n e^floor R / N_k`` (relative to
    max(1, R): less than ``2 n e^floor / N_k``) and its covariance by less
    than ``4 n e^floor R^2 / N_k`` in norm, which is below FLOOR_RTOL times
    its largest variance v_k when ``4 n e^floor (1 + R^2 / v_k) <= FLOOR_RTOL N_k``.
    ``params`` are the parameters the M-step made from ``S``.
    """
    c = params.covariances
    if ws.ctype in ("full", "tied"):
        v = np.diagonal(c, axis1=-2, axis2=-1).max(axis=-1)
    elif ws.ctype == "diag":
        v = c.max(axis=1)
    else:
        v = c
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        lost = 4.0 * ws.n * np.exp(EXP_FLOOR) * (1.0 + ws.radius2 / v)
        return bool(np.all(lost <= FLOOR_RTOL * S[:, -1]))


def _exp_floored(A, keep, floor):
    """exp(A) in place, for A <= 0; entries below ``floor`` become 0 unevaluated.

    When more than EXP_SKIP_MAX_FRACTION of the entries are above the floor,
    all are evaluated (exactly; which branch runs depends on A only).
    """
    np.greater_equal(A, floor, out=keep)
    idx = np.flatnonzero(keep)
    if idx.size > EXP_SKIP_MAX_FRACTION * A.size:
        np.exp(A, out=A)
        return
    flat = A.reshape(-1)
    v = flat[idx]
    np.exp(v, out=v)
    flat.fill(0.0)
    flat[idx] = v


def _em_block(X, W, P, ws, buf, s, e, stats, R_out, floor):
    """E-step over rows s:e: (log-likelihood of the rows, statistics or None)."""
    m = e - s
    xc, Z = ws.features(s, e, P, buf)
    A = buf.A[: ws.k * m].reshape(ws.k, m)
    _matmul_cols(W, Z.T, A, ws.step)  # a_kn, laid out (K, rows)
    mx = buf.mx[:m]
    np.max(A, axis=0, out=mx)
    np.subtract(A, mx, out=A)
    if floor is None:
        np.exp(A, out=A)
    else:
        _exp_floored(A, buf.keep[: ws.k * m].reshape(ws.k, m), floor)
    tot = np.sum(A, axis=0)
    ll = float(np.sum(mx) + np.sum(np.log(tot)))
    np.divide(1.0, tot, out=tot)
    A *= tot  # r_nk = exp(a_nk - logsumexp_j a_nj)
    if R_out is not None:
        R_out[s:e] = A.T
    if not stats:
        return ll, None
    S = np.zeros((ws.k, ws.f_stats))
    if ws.ctype == "tied":
        Zs = buf.Zs[:, :m]
        Zs[:-1] = xc
        Zs[-1] = 1.0
        _accumulate(A, Zs.T, S, buf.kf_s, ws.step)
    else:
        _accumulate(A, Z.T, S, buf.kf, ws.step)
    return ll, S


def _em_pass(X, params, ws, *, stats=True, R_out=None, floor=None):
    """E-step at ``params`` over all rows: log-likelihood and M-step statistics.

    Returns (log_likelihood, S) with S = sum_n r_nk [features_n] of shape
    (K, F) (for tied: (K, D + 1), the features [x, 1]).  With ``R_out`` (N, K)
    the responsibilities are written there.  Blocks are shared among the
    threads; their sums are added in block order, so the result does not
    depend on the number of threads.  With ``floor``, responsibilities below
    ``exp(floor)`` (relative to the largest of their point) may be dropped;
    see :func:`_floor_harmless`.
    """
    W, P = _em_weights(params, ws)
    rows, n = ws.rows, ws.n

    def block(b, w):
        s = b * rows
        return _em_block(X, W, P, ws, ws.bufs[w], s, min(s + rows, n), stats, R_out, floor)

    parts = _map_blocks(block, ws.n_blocks, ws.workers)
    ll = 0.0
    for part_ll, _ in parts:
        ll += part_ll
    if not stats:
        return ll, None
    S = np.zeros((ws.k, ws.f_stats))
    for _, part_S in parts:
        S += part_S
    return ll, S


def _em_m_step(S, ws, reg_covar):
    """Parameters from the statistics of :func:`_em_pass`, as in ``mixture._m_step``.

    The sums are centred on the data mean m; ``mixture._m_step`` works in raw
    coordinates with N_k = sum_n r_nk + delta (delta = 10 eps, as scikit-learn).
    Rewritten in centred coordinates, its mean is (S_x - delta m) / N_k and
    its covariances gain delta m m^T / N_k terms; they are kept here, so that
    the two agree for components whose sum_n r_nk is comparable to delta too.
    """
    from .mixture import GMMParams

    d, ctype = ws.d, ws.ctype
    delta = 10 * _EPS
    SN = S[:, -1]  # sum_n r_nk
    Nk = SN + delta  # N_k
    weights = Nk / Nk.sum()  # pi_k = N_k / N
    m = ws.mean
    Sx = S[:, -d - 1 : -1] if ctype == "full" else S[:, :d]
    mu = (Sx - delta * m) / Nk[:, None]  # centred mu_k
    if ctype == "full":
        q = len(ws.iu[0])
        Sxx = np.empty((ws.k, d, d))
        i, j = ws.iu
        Sxx[:, i, j] = S[:, :q]
        Sxx[:, j, i] = S[:, :q]
        # Sigma_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T / N_k + eps I
        cross = Sx[:, :, None] * mu[:, None, :]
        Sigma = Sxx - cross - np.swapaxes(cross, 1, 2) + SN[:, None, None] * mu[:, :, None] * mu[:, None, :]
        Sigma /= Nk[:, None, None]
        Sigma[:, np.arange(d), np.arange(d)] += reg_covar
    elif ctype == "tied":
        Sigma = (ws.scatter - (Nk[:, None] * mu).T @ mu) / Nk.sum()
        Sigma = 0.5 * (Sigma + Sigma.T)
        Sigma.flat[:: d + 1] += reg_covar
    elif ctype == "diag":
        # sum_n r_nk x_n^2 / N_k - mu_k^2 in raw coordinates, centred
        Sigma = S[:, d : 2 * d] / Nk[:, None] - mu**2 + (delta / Nk)[:, None] * m**2
        np.maximum(Sigma, 0.0, out=Sigma)
        Sigma += reg_covar
    else:
        # sigma_k^2 = (sum_n r_nk ||x_n||^2 / N_k - ||mu_k||^2) / D + eps
        Sigma = S[:, d] / Nk - np.einsum("kd,kd->k", mu, mu) + delta / Nk * (m @ m)
        np.maximum(Sigma, 0.0, out=Sigma)
        Sigma = Sigma / d + reg_covar
    return GMMParams(weights, mu + m, Sigma, ctype)


def em(X, params, max_iter, tol, reg_covar):
    """EM iterations from ``params``; the same fit as the loop in ``mixture.gmm``.

    ``X`` is a checked float64 array, ``params`` the initial GMMParams.
    Returns a ``GMMResult``, or None when the expanded forms would lose
    accuracy (see :func:`_em_safe`); the caller then runs the plain loop.
    """
    from .mixture import _em_result

    X = np.ascontiguousarray(X)
    n = X.shape[0]
    ws = _EMWorkspace(X, params.covariance_type, params.n_components)
    if ws.ctype == "tied":
        ws.scatter = np.zeros((ws.d, ws.d))
        for s in range(0, n, ws.rows):
            xc = ws.centred(s, min(s + ws.rows, n))
            ws.scatter += xc @ xc.T
    ws.radius2 = float(np.max(np.einsum("dn,dn->n", ws.XcT, ws.XcT)))
    if not _em_safe(params, ws):
        return None
    R = np.empty((n, ws.k))
    # passes that feed an M-step skip the exp of negligible responsibilities;
    # the passes that write R are exact
    floor = EXP_FLOOR if max_iter > 0 else None
    ll, S = _em_pass(X, params, ws, stats=max_iter > 0, R_out=R if max_iter == 0 else None, floor=floor)
    lls, means, weights, covs = [ll], [params.means], [params.weights], [params.covariances]
    converged = False
    n_iter = 0
    change = np.nan
    for n_iter in range(1, max_iter + 1):
        try:
            new = _em_m_step(S, ws, reg_covar)
            if not _floor_harmless(new, S, ws):
                # small components: redo the E-step exactly, then the M-step
                lls[-1], S = _em_pass(X, params, ws, floor=None)
                new = _em_m_step(S, ws, reg_covar)
        except ValueError:  # not positive definite: let the plain loop say so
            return None
        params = new
        if not _em_safe(params, ws):
            return None
        last = n_iter == max_iter
        ll_new, S = _em_pass(
            X, params, ws, stats=not last, R_out=R if last else None, floor=None if last else EXP_FLOOR
        )
        lls.append(ll_new)
        means.append(params.means)
        weights.append(params.weights)
        covs.append(params.covariances)
        change = (ll_new - lls[-2]) / n
        if abs(change) < tol:
            converged = True
            if not last:
                _em_pass(X, params, ws, stats=False, R_out=R)
            break
    return _em_result(params, R, lls, means, weights, covs, n_iter, converged, tol, max_iter, change, stacklevel=3)
