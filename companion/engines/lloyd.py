"""The blocked Lloyd engine: Hamerly's bounds over row blocks on threads.

It computes the book's two steps (:func:`~companion.assign`,
:func:`~companion.update_centers`) faster, with numpy only: the same labels
at every iteration and centres equal to rounding, except where rounding
decides an exact tie.  The loop that drives it is the one of
:func:`companion.kmeans` (``engine="blocked"``), which confirms the fixed
point it stops at with the plain steps.

* Every point keeps an upper bound :math:`U_n \\ge \\lVert x_n-\\mu_{z_n}\\rVert`
  and a lower bound :math:`L_n \\le \\min_{j\\ne z_n}\\lVert x_n-\\mu_j\\rVert`.
  When the centres move by :math:`\\delta_k`, the triangle inequality gives
  :math:`U_n \\mathrel{+}= \\delta_{z_n}` and
  :math:`L_n \\mathrel{-}= \\max_{j\\ne z_n}\\delta_j`.  A point with
  :math:`L_n > U_n` cannot change cluster, and is skipped.  The drifts are
  accumulated per cluster, so the bound test costs one gather per point.
* These bounds are Hamerly's; no book equation states them, nor the
  margin that follows.  The test keeps a margin :math:`\\sqrt{2T}` with
  :math:`T = \\max(10^{-10}, 16(D+4)\\varepsilon)\\,(\\max_n\\lVert x_n\\rVert^2 +
  \\max_k\\lVert\\mu_k\\rVert^2)`, far above the rounding error of the expanded
  norm the plain :func:`~companion.assign` uses, so a skipped point is one
  whose label the plain step would also keep.
* While many labels change (more than :data:`BOUNDS_MOVED_FRACTION` of them in
  the previous iteration) nearly every point would fail its test, so the
  pass computes labels only, without bounds; later passes keep bounds.
* The points to reassign are processed in row blocks: one matrix product
  into a preallocated buffer, ``+ ||mu||^2`` only (``||x||^2`` is constant
  along a row and cannot change the argmin: the book's
  ``{eq}`eq-kmeans-centres-only```), the argmin (``eq-kmeans-assign``) and,
  with bounds, the second smallest value (the new lower bound).
* Every label computed is certified as in the plain step
  (:func:`companion.numerics._certified_argmin`): a row whose two smallest
  values differ by at most :math:`3B_n`, the rounding bound of the expanded
  norm, is recomputed from the differences :math:`x_n - \\mu_k`, so labels
  stay exact for clusters far apart compared with their spreads.  With
  bounds this is one comparison per reassigned row; the passes without
  bounds compare every value of the block with its row's smallest plus
  :math:`3B_n` once.  An iteration whose every move was such a near tie
  could have been decided by the rounding of the means below, so the loop
  redoes it with the plain steps and continues with them
  (``moved_at_near_ties``, :func:`companion.kmeans._hand_over`).
* The cluster sums :math:`\\sum_{z_n=k} x_n` (centred on the data mean) are
  updated from the points that changed cluster only, through a small
  :math:`\\pm 1` indicator matrix times their rows (one matrix product);
  centres are sums over counts, as in :func:`~companion.update_centers`
  (``eq-kmeans-update``), whose empty-cluster policy is shared.  They equal
  the plain step's to about 1e-15 (another order of summation); at an exact
  tie that can decide a label, so the Lloyd loop checks the fixed point at
  which this engine stops with the plain steps (:meth:`BlockedLloyd.unproven`).
* The objective :math:`J` of the history comes from the same sums,
  :math:`J = \\sum_n\\lVert x_n-\\bar x\\rVert^2 - \\sum_k \\lVert s_k\\rVert^2/N_k
  + \\sum_k N_k\\lVert m_k-\\mu_k\\rVert^2` (:math:`s_k` the centred sum and
  :math:`m_k` the mean of cluster :math:`k`; ``eq-kmeans-objective-by-cluster``
  with ``eq-kmeans-bias-variance`` applied twice); when :math:`J` is so small
  against the spread of the data that this cancels badly, it is computed
  directly.

References
----------
G. Hamerly, "Making k-means even faster", SDM 2010.
"""

from __future__ import annotations

import numpy as np

from .._moments import relocate_empty
from ..numerics import _certified_argmin, _difference_distances, expansion_error_coefficient
from .blocks import accumulate, gemm_step, map_blocks, matmul_rows, n_workers

_EPS = np.finfo(np.float64).eps

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


def _block_rows(k, d):
    """Rows per block: the distance block and the gathered rows stay cache-sized."""
    return int(np.clip(BLOCK_ENTRIES // max(k, d, 1), 256, 8192))



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
        self.step = gemm_step(k, d)
        self.n_blocks = -(-n // self.rows)
        self.workers = n_workers(self.n_blocks)
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

        return map_blocks(block, n_blocks, min(self.workers, n_blocks))


def _nearest_two(Xb, m2C, c_sq, dist, ar, step, cert):
    """Index of the nearest centre, the two smallest ``||x - mu||^2 - ||x||^2`` and the near-tie rows.

    ``c_sq`` holds ``||mu_k||^2`` repeated on (at least) as many rows as ``Xb``.
    ``cert`` is ``(centers, x_sq of the rows, max_k ||mu_k||^2, beta)``: rows
    whose two smallest values are within the rounding bound ``3 B_n`` of each
    other are recomputed with differences, as in the plain step
    (:func:`companion.numerics._certified_argmin`), and returned.

    Ties go to the lowest index, as in :func:`~companion.assign`.
    """
    m = Xb.shape[0]
    dist = _distances(Xb, m2C, c_sq, dist, step)
    ar = ar[:m]
    lab = np.argmin(dist, axis=1)  # z_n = argmin_k ||x_n - mu_k||^2   (eq-kmeans-assign)
    best = dist[ar, lab]
    if dist.shape[1] == 1:
        return lab, best, np.full(m, np.inf), np.empty(0, dtype=np.intp)
    dist[ar, lab] = np.inf
    # min_{j != z_n} ||x_n - mu_j||^2 - ||x_n||^2, for the lower bound (Hamerly);
    # argmin and a gather: much faster than a min over a short last axis
    second = dist[ar, np.argmin(dist, axis=1)]
    centers, x_sq, c_sq_max, beta = cert
    # the certificate: second - best > 3 B_n proves the nearest centre (no book equation)
    with np.errstate(over="ignore", invalid="ignore"):
        rows = np.flatnonzero(~(second - best > 3.0 * beta * (x_sq + c_sq_max)))
    if rows.size:
        D = _difference_distances(Xb[rows], centers)  # ||x_n - mu_k||^2 by differences
        lab[rows] = np.argmin(D, axis=1)
        r = np.arange(rows.size)
        best[rows] = D[r, lab[rows]] - x_sq[rows]
        D[r, lab[rows]] = np.inf
        second[rows] = np.min(D, axis=1) - x_sq[rows]
    return lab, best, second, rows


def _nearest_one(Xb, m2C, c_sq, dist, step, cert):
    """Index of the nearest centre and the near-tie rows, certified as in :func:`_nearest_two`."""
    # z_n = argmin_k ||x_n - mu_k||^2   (eq-kmeans-assign)
    dist = _distances(Xb, m2C, c_sq, dist, step)
    centers, x_sq, c_sq_max, beta = cert
    return _certified_argmin(Xb, centers, dist, x_sq, c_sq_max, beta)


def _distances(Xb, m2C, c_sq, dist, step):
    """``||x - mu_k||^2 - ||x||^2`` for the rows of Xb, in the first rows of ``dist``."""
    # ||x_n - mu_k||^2 - ||x_n||^2 = ||mu_k||^2 - 2 x_n . mu_k   (eq-kmeans-centres-only)
    dist = dist[: Xb.shape[0]]
    matmul_rows(Xb, m2C.T, dist, step)  # -2 x . mu_k
    # + ||mu_k||^2; c_sq repeated on every row: an add of equal shapes is much
    # faster than a broadcast along a short last axis
    dist += c_sq[: Xb.shape[0]]
    return dist


def _bounds(best, second, x_sq, T):
    """Upper and lower bounds on the true distances from the computed ones.

    Hamerly's bounds, widened by the rounding margin ``2 T``; no book equation.
    """
    # U_n >= ||x_n - mu_{z_n}||, L_n <= min_{j != z_n} ||x_n - mu_j||, with
    # ||x_n - mu_k||^2 = (||mu_k||^2 - 2 x_n . mu_k) + ||x_n||^2   (eq-kmeans-centres-only)
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
        total += float(np.einsum("nd,nd->", cb, cb))  # J = sum_n ||x_n - mu_{z_n}||^2   (eq-kmeans-objective)
    return total


def _objective(X, centers, labels, sums, counts, mean, scatter0, ws):
    """J(mu, z) from the centred cluster sums; direct when that would cancel."""
    # J = sum_k sum_{z_n = k} ||x_n - mu_k||^2   (eq-kmeans-objective-by-cluster), and per
    # cluster (eq-kmeans-bias-variance) twice: about m_k, then m_k about xbar
    with np.errstate(invalid="ignore", divide="ignore"):
        nz = counts > 0
        # B = sum_k N_k ||m_k - xbar||^2 = sum_k ||s_k||^2 / N_k
        between = float(np.sum(np.einsum("kd,kd->k", sums[nz], sums[nz]) / counts[nz]))
        m = sums[nz] / counts[nz, None]  # m_k - xbar = s_k / N_k   (eq-kmeans-update)
        diff = m - (centers[nz] - mean)
        # S = sum_k N_k ||m_k - mu_k||^2   (eq-kmeans-bias-variance)
        shift = float(np.sum(counts[nz] * np.einsum("kd,kd->k", diff, diff)))
    J = scatter0 - between + shift  # J = W - B + S
    # J = W - B + S loses about eps * W / J of relative precision; keep 1e-13
    if not np.isfinite(J) or J <= 1e-3 * scatter0:
        return _objective_direct(X, centers, labels, ws)
    return J


def _scatter(X, mean, ws):
    """sum_n ||x_n - xbar||^2, over blocks on the threads (added in block order)."""

    def block(s, e, buf):
        cb = buf.cb[: e - s]
        np.subtract(X[s:e], mean, out=cb)
        return float(np.einsum("nd,nd->", cb, cb))  # W = sum_n ||x_n - xbar||^2   (eq-kmeans-bias-variance)

    return float(sum(ws.map(block, X.shape[0])))


def _norms_and_mean(X, ws):
    """||x_n||^2 for every row, and the mean of the rows (block sums in block order)."""
    x_sq = np.empty(X.shape[0])

    def block(s, e, buf):
        np.einsum("nd,nd->n", X[s:e], X[s:e], out=x_sq[s:e])  # ||x_n||^2, for the bounds
        return X[s:e].sum(axis=0)  # sum_n x_n, for xbar (the centre of the cluster sums)

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
    accumulate(ind, xc, part, buf.kd, step)  # s_k = sum_{z_n = k} (x_n - xbar)   (eq-kmeans-update)
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
    # N_k = #{n : z_n = k}   (eq-kmeans-update)
    counts += np.bincount(new, minlength=k)
    counts -= np.bincount(old, minlength=k)


def _at(near, moved, m):
    """For each of the rows ``moved`` (local indices of a block of m rows), whether it is in ``near``."""
    if near.size == 0:
        return np.zeros(moved.size, dtype=bool)
    mask = np.zeros(m, dtype=bool)
    mask[near] = True
    return mask[moved]


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
        # beta_D of the certificate of every assignment (companion.numerics); <= tol_coef
        self.beta = expansion_error_coefficient(d)
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
        # ||mu_k||^2 and -2 mu_k, the terms of (eq-kmeans-centres-only)
        c_sq = np.einsum("kd,kd->k", C, C)
        self.c_sq = np.tile(c_sq, (min(self.ws.rows, self.ws.n), 1))  # one row per row of a block
        self.m2C = -2.0 * C
        # the rounding margin of the bound test (module docstring; no book equation)
        self.c_sq_now = float(np.max(c_sq))
        self.c_sq_max = max(self.c_sq_max, self.c_sq_now)
        self.T = self.tol_coef * (self.x_sq_max + self.c_sq_max)
        self.margin = np.sqrt(2.0 * self.T)

    def move_centers(self, C):
        """Centres moved to C: drift the bounds by how far each centre moved."""
        # Hamerly's drift (no book equation): delta_k = ||mu'_k - mu_k||, then
        # U_n += delta_{z_n} and L_n -= max_{j != z_n} delta_j, kept per cluster
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
        # stored net of the drift so far (Hamerly; no book equation)
        U -= self.drift[lab]
        L += self.drift_other[lab]
        self.Ubase[rows] = U
        self.Lbase[rows] = L
        self.Gbase[rows] = L - U

    def _cert(self, rows):
        """What the certificate of the rows ``rows`` needs (see :func:`_nearest_two`)."""
        return self.centers, self.x_sq[rows], self.c_sq_now, self.beta

    def _nearest(self, Xb, rows, buf):
        """Labels of the rows ``rows`` (a slice; Xb their data), and their bounds
        when ``with_bounds``; also the near-tie rows (local indices)."""
        if not self.with_bounds:
            lab, near = _nearest_one(Xb, self.m2C, self.c_sq, buf.dist, self.ws.step, self._cert(rows))
            self.labels[rows] = lab
            return lab, near
        lab, best, second, near = _nearest_two(
            Xb, self.m2C, self.c_sq, buf.dist, buf.ar, self.ws.step, self._cert(rows)
        )
        self._store(rows, lab, best, second)
        return lab, near

    def assign_all(self, s, e, buf):
        """Nearest centre of rows s:e and their bounds; the block's centred cluster sums."""
        ws, X = self.ws, self.X
        lab = self._nearest(X[s:e], slice(s, e), buf)[0]
        xc = buf.cb[: e - s]
        np.subtract(X[s:e], self.mean, out=xc)
        return _cluster_sums(xc, lab, None, buf, ws.step)

    def reassign(self, s, e, buf):
        """New labels and bounds for the rows s:e whose bounds no longer prove
        their label (L_n - U_n <= margin); returns the rows that moved, their
        old and new labels, and whether each move was decided at a near tie
        (by the difference formula, see :func:`_nearest_two`)."""
        rows = self.ws.rows
        if not self.have_bounds:
            parts = [self._reassign_rows(b, min(b + rows, e), buf) for b in range(s, e, rows)]
            return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))
        m = e - s
        # L_n - U_n <= margin: the bounds no longer prove z_n (Hamerly; no book equation)
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
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))

    def _reassign_rows(self, s, e, buf):
        """Reassign every row of s:e (at most one block)."""
        lab_old = self.labels[s:e].copy()
        lab, near = self._nearest(self.X[s:e], slice(s, e), buf)
        moved = np.flatnonzero(lab != lab_old)
        return moved + s, lab_old[moved], lab[moved], _at(near, moved, e - s)

    def _reassign_some(self, idx, buf):
        """Reassign the rows ``idx`` (at most one block) whose bounds failed."""
        xb = buf.xb[: idx.size]
        np.take(self.X, idx, axis=0, out=xb)
        lab_old = self.labels[idx]
        # (tightening U_n with the exact distance to the own centre first, as
        # Hamerly does, removed too few candidates here to pay for itself)
        lab, best, second, near = _nearest_two(
            xb, self.m2C, self.c_sq, buf.dist, buf.ar, self.ws.step, self._cert(idx)
        )
        self._store(idx, lab, best, second)
        moved = np.flatnonzero(lab != lab_old)
        return idx[moved], lab_old[moved], lab[moved], _at(near, moved, idx.size)

class BlockedLloyd:
    """Lloyd engine with Hamerly's bounds over row blocks (``engine="blocked"``).

    ``start(centers)`` assigns every point; ``update()`` gives the centres of
    the current labels; ``assign(centers)`` reassigns the points whose bounds
    fail and returns (number of changed labels, J); ``labels()`` the labels.

    Its centres come from sums updated with the moved points only, so they
    may differ from :func:`~companion.update_centers` in the last bit, and at
    an exact tie that can decide a label.  Hence ``confirm_fixed_point``:
    the Lloyd loop checks the fixed point at which this engine stops with
    the plain steps (:func:`companion.kmeans.lloyd`), and ``unproven(centers)``
    tells it which rows its bounds leave to check.
    """

    confirm_fixed_point = True

    def __init__(self, X, n_clusters):
        X = np.ascontiguousarray(X)
        n, d = X.shape
        self.X, self.n_samples, self.k = X, n, n_clusters
        self.ws = _LloydWorkspace(n, d, n_clusters)
        self.st = _Lloyd(X, self.ws)
        self.mean = self.st.mean
        self.scatter0 = _scatter(X, self.mean, self.ws)
        self.n_changed = n
        self.last_moves, self.moved_at_near_ties = None, False

    def start(self, centers):
        st, ws = self.st, self.ws
        self.last_moves, self.moved_at_near_ties = None, False
        st.set_centers(centers)
        st.with_bounds = False  # (while many points move, bounds do not pay; see above)
        # a new run (kmeans(n_init > 1) reuses the engine): no bounds from the last one
        st.have_bounds, self.n_changed = False, self.n_samples
        self.sums = np.zeros((self.k, self.X.shape[1]))
        for part in ws.map(st.assign_all, self.n_samples):  # added in block order
            self.sums += part  # s_k = sum_{z_n = k} (x_n - xbar)   (eq-kmeans-update)
        self.counts = np.bincount(st.labels, minlength=self.k)  # N_k   (eq-kmeans-update)
        self.centers = centers
        return self._objective()

    def update(self):
        # mu_k = xbar + s_k / N_k   (eq-kmeans-update), the plain step's empty-cluster policy
        centers = self.sums / np.maximum(self.counts, 1)[:, None] + self.mean
        empty = self.counts == 0
        if empty.any():
            centers = relocate_empty(self.X, self.st.labels, centers, np.flatnonzero(empty))
        return centers

    def assign(self, centers):
        st, ws, n = self.st, self.ws, self.n_samples
        st.move_centers(centers)
        # bounds are kept only once few points move: while many do, nearly all
        # points fail their bound test anyway and a pass without bounds is cheaper
        st.with_bounds = self.n_changed <= BOUNDS_MOVED_FRACTION * n
        moves = [r for r in ws.map(st.reassign, n, ws.group) if r is not None and r[0].size]
        st.have_bounds = st.with_bounds
        changed = int(sum(r[0].size for r in moves))
        self.last_moves, self.moved_at_near_ties = None, False
        if changed:
            idx, old, new, near = (np.concatenate([r[i] for r in moves]) for i in range(4))
            _add_moves(self.sums, self.counts, self.X, idx, old, new, self.mean, ws)
            # every move decided at a near tie: the rounding of these means may have decided it
            self.last_moves, self.moved_at_near_ties = (idx, old), bool(near.all())
        self.centers, self.n_changed = centers, changed
        return changed, self._objective()

    def previous_labels(self):
        """The labels before the last :meth:`assign` (its moves undone), a new array."""
        labels = self.st.labels.copy()
        if self.last_moves is not None:
            idx, old = self.last_moves
            labels[idx] = old
        return labels

    def labels(self):
        return self.st.labels

    def unproven(self, centers):
        """Rows whose label the bounds do not prove nearest under ``centers``, sorted.

        Meant for centres next to the current ones (the exact means of the
        current labels, at a fixed point).  The bounds are moved to
        ``centers`` as in :meth:`assign`; a row whose bounds pass the test
        there (``L_n - U_n > margin``) keeps its label under the plain step,
        and every other row is returned (every row when the last pass kept
        no bounds).  A row at an exact tie is always returned.
        """
        st = self.st
        if not st.have_bounds:
            return np.arange(self.n_samples)
        st.move_centers(centers)  # U_n += delta_{z_n}, L_n -= max_{j != z_n} delta_j (Hamerly)
        gap = st.Gbase - st.drift_total[st.labels]  # L_n - U_n
        return np.flatnonzero(gap <= st.margin)

    def _objective(self):
        return _objective(self.X, self.centers, self.st.labels, self.sums, self.counts, self.mean, self.scatter0, self.ws)
