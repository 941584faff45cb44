"""The blocked EM engine: the E-step and the M-step's statistics fused in one pass.

It computes the iterates of the book's steps (:func:`~companion.e_step`,
:func:`~companion.m_step`) faster, with numpy only; the loop that drives it
is the one of :func:`companion.gmm` (``engine="blocked"``), and the M-step
is the shared map from statistics to parameters
(:func:`companion._moments.gaussian_parameters`).

One pass over the data per EM iteration: the log-densities of a block are
one matrix product of a (K, F) weight matrix with augmented features of the
rows (below), the log-sum-exp reduces over the first axis, and the M-step's
sufficient statistics are one more product.  Passes that feed an M-step do
not evaluate ``exp`` for responsibilities below ``exp(EXP_FLOOR)`` relative to
the largest of their point (they stay 0); after the M-step,
:func:`_floor_harmless` bounds what they could have moved, and when that
exceeds :data:`FLOOR_RTOL` the E-step is redone exactly.  The passes that
produce the returned responsibilities are exact.

Rounding.  Every pass certifies its log-densities per row as the plain
E-step does (:class:`_Certificate`, after
:func:`companion.numerics.log_gaussian_matrix`): the rows in which a term
that matters may err by more than ``LOG_DENSITY_ATOL`` (1e-10) are
recomputed from :math:`x_n - \\mu_k`, and on ordinary data one comparison
of the largest row norm settles every row.  The M-step's statistics are
sums of the features, whose scatter cancels as the log-densities do; when
the global bound :func:`_em_safe` exceeds 1e-6 (clusters far apart
compared with their spreads, outliers against a collapsed component) the
engine declines (:class:`EngineDeclined`) and the loop continues with the
plain engine, which forms every scatter about its own mean, from the
current iterate.
"""

from __future__ import annotations

import numpy as np

from .._moments import SCATTER_LAYOUT, Moments, gaussian_parameters
from ..numerics import (
    LOG_2PI,
    LOG_DENSITY_ATOL,
    LOG_DENSITY_CUTOFF,
    _full_precision_cholesky,
    log_gaussian_matrix,
)
from .base import EngineDeclined
from .blocks import accumulate, gemm_step, map_blocks, matmul_cols, n_workers

_EPS = np.finfo(np.float64).eps

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
# a_kn = log pi_k + log N(x_n | mu_k, Sigma_k)   (eq-gmm-density, eq-gmm-normal)
# is laid out (K, rows) so that
# the log-sum-exp reduces over the first axis (elementwise over rows, fast),
# the responsibilities are computed in place, and the sufficient statistics
# of the M-step are one more product, R @ features^T, per block: raw moments
# about the data mean, turned into the statistics of eq-scale-statistics by
# eq-scale-scatter (accurate while _em_safe holds).  The blocks are shared
# among the threads; their statistics are added in block order.

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
        self.workers = n_workers(self.n_blocks)
        b = min(self.rows, n)
        self.bufs = [
            _EMBuffers(k, d, self.f, b, covariance_type == "tied") for _ in range(self.workers)
        ]
        self.step = gemm_step(k, self.f)
        self.step_y = gemm_step(d, d)
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
        # the monomials of the quadratic form (x - mu)^T Sigma^-1 (x - mu)   (eq-gmm-normal)
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
                matmul_cols(P.T, xc.T, y, self.step_y)  # y = P^T x
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
    # a_kn = log pi_k + log N(x_n | mu_k, Sigma_k) = W_k . features(x_n)   (eq-gmm-density,
    # eq-gmm-normal), with Sigma_k^-1 = P_k P_k^T and log det Sigma_k^{-1/2} = sum_i log (P_k)_ii
    P = params._prec_chol
    mu = params.means - ws.mean
    with np.errstate(divide="ignore"):
        log_pi = np.log(params.weights)
    W = np.empty((k, ws.f))
    if ctype == "full":
        # Lambda_k = P_k P_k^T;  a = c_k + x.(Lambda mu) - x^T Lambda x / 2   (eq-gmm-normal)
        Lam = np.matmul(P, np.swapaxes(P, 1, 2))
        i, j = ws.iu
        q = len(i)
        W[:, :q] = -Lam[:, i, j]  # off-diagonal x_i x_j appear twice in x^T Lambda x
        diag = i == j
        W[:, :q][:, diag] *= 0.5
        b = np.einsum("kij,kj->ki", Lam, mu)
        W[:, q : q + d] = b
        log_det = np.sum(np.log(np.diagonal(P, axis1=1, axis2=2)), axis=1)  # -log det Sigma_k / 2
        # c_k = log pi_k - (D/2) log 2 pi - (1/2) log det Sigma_k - mu^T Lambda mu / 2   (eq-gmm-normal)
        W[:, -1] = log_pi - 0.5 * d * LOG_2PI + log_det - 0.5 * np.einsum("ki,ki->k", b, mu)
        return W, None
    if ctype == "tied":
        m = mu @ P  # a = c_k + y.m_k - ||y||^2 / 2 - ||m_k||^2 / 2, y = P^T x   (eq-gmm-normal)
        W[:, :d] = m
        W[:, d] = -0.5
        log_det = np.sum(np.log(np.diag(P)))  # -log det Sigma / 2
        W[:, -1] = log_pi - 0.5 * d * LOG_2PI + log_det - 0.5 * np.einsum("kd,kd->k", m, m)
        return W, P
    if ctype == "spherical":
        prec = P**2  # 1 / sigma_k^2, shape (K,)
        # a = c_k + x.mu_k / sigma^2 - ||x||^2 / (2 sigma^2) - ||mu||^2 / (2 sigma^2)   (eq-gmm-normal)
        W[:, :d] = mu * prec[:, None]
        W[:, d] = -0.5 * prec
        log_det = d * np.log(P)  # -log det Sigma_k / 2
        W[:, -1] = log_pi - 0.5 * d * LOG_2PI + log_det - 0.5 * prec * np.einsum("kd,kd->k", mu, mu)
        return W, None
    prec = P**2  # 1 / sigma_kd^2, shape (K, D)
    # a = c_k + sum_d (x_d mu_kd - x_d^2 / 2 - mu_kd^2 / 2) / sigma_kd^2   (eq-gmm-normal)
    log_det = np.sum(np.log(P), axis=1)  # -log det Sigma_k / 2
    W[:, :d] = mu * prec
    W[:, d : 2 * d] = -0.5 * prec
    W[:, -1] = log_pi - 0.5 * d * LOG_2PI + log_det - 0.5 * np.einsum("kd,kd->k", mu * mu, prec)
    return W, None


def _em_safe(params, ws):
    """Whether the M-step's statistics, sums of the expanded features, keep their digits.

    Expanding ``(x-mu)^T Lambda (x-mu)`` loses about
    ``eps * ||P||_F^2 (max_n ||x_n||^2 + ||mu_k||^2)`` (centred coordinates),
    and the scatter ``G_k - N_k xbar_k xbar_k^T`` formed from the summed features
    as much relative to the covariance.  The log-densities are certified row
    by row (:class:`_Certificate`), the statistics are not: beyond 1e-6
    (clusters far apart compared with their spreads, far-away outliers
    against a collapsed component) the plain loop, whose M-step forms every
    scatter about its own mean, is used instead.  (A rounding bound of this
    engine; no book equation.)
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


def _floor_harmless(c, S, ws):
    """Whether the responsibilities dropped by a floored pass moved ``params`` by < FLOOR_RTOL.

    Each dropped r_nk is below e^floor, so component k lost at most
    ``n e^floor`` of its N_k, and at most that times ``max_n ||x_n||`` and
    ``max_n ||x_n||^2`` of its other sums (centred coordinates, radius R).
    Its mean then moves by less than ``2 n e^floor R / N_k`` (relative to
    max(1, R): less than ``2 n e^floor / N_k``) and its covariance by less
    than ``4 n e^floor R^2 / N_k`` in norm, which is below FLOOR_RTOL times
    its largest variance v_k when ``4 n e^floor (1 + R^2 / v_k) <= FLOOR_RTOL N_k``.
    ``c`` are the covariances the M-step made from ``S``.  (A bound of this
    engine's floor; no book equation.)
    """
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


class _Certificate:
    """Which rows of an E-step pass need their log-densities recomputed with differences.

    The product ``W_k . features(x_n)`` errs by at most
    ``gamma (sum_f |W_kf| |Z_fn|)``; for every covariance type that sum is at most
    ``2 s_k (||x_n - xbar||^2 + ||mu_k - xbar||^2) + |c_k|``, with ``s_k``
    the component's :func:`_prec_norm2` and ``c_k`` the constant column of
    ``W`` (``tied`` adds the rounding of its whitening product, at most
    ``4 D eps s (...)``).  So the error of ``a_kn`` is at most
    ``delta_kn = coef (s_k (r2_n + mu2_k) + |c_k| / 2)``.  As in
    :func:`companion.numerics.log_gaussian_matrix`, a row in which a term
    that matters (within ``LOG_DENSITY_CUTOFF`` of the largest, after the
    bounds) can err by more than ``LOG_DENSITY_ATOL`` is recomputed from
    ``x_n - mu_k``; the rows whose bound for every component is below it
    (every row, on ordinary data) are settled by one pass over N numbers
    per E-step.  (A rounding bound of this engine; no book equation.)
    """

    def __init__(self, params, W, ws, X):
        d, f = ws.d, ws.f
        self.coef = (f + d + 8) * _EPS + (4.0 * d * _EPS if ws.ctype == "tied" else 0.0)
        mu = params.means - ws.mean
        self.s = _prec_norm2(params, ws)
        self.mu2 = np.einsum("kd,kd->k", mu, mu)
        self.cabs = 0.5 * np.abs(W[:, -1])
        # coef (s_max (r2_n + max mu2) + max |c| / 2) <= ATOL  <=>  r2_n <= t
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            t = ((np.float64(LOG_DENSITY_ATOL) / self.coef - np.max(self.cabs)) / np.max(self.s)
                 - float(np.max(self.mu2)))
            if ws.radius2 <= t:  # every row (ordinary data): no pass at all
                self.rows = np.empty(0, dtype=np.intp)
            else:
                self.rows = np.flatnonzero(~(ws.r2 <= t))
        self.params, self.X, self.r2 = params, X, ws.r2

    def fix(self, A, s, e):
        """Recompute, in A (K, e - s), the rows of s:e whose terms that matter are not proven."""
        lo, hi = np.searchsorted(self.rows, (s, e))
        if lo == hi:
            return
        cols = self.rows[lo:hi] - s
        with np.errstate(over="ignore", invalid="ignore"):
            r2 = self.r2[s + cols]
            delta = self.coef * (self.s[:, None] * (self.mu2[:, None] + r2[None, :]) + self.cabs[:, None])
            Ac = A[:, cols]
            floor = np.max(Ac - delta, axis=0) - LOG_DENSITY_CUTOFF
            matters = ~(Ac + delta <= floor[None, :])
            bad = cols[np.any(matters & ~(delta <= LOG_DENSITY_ATOL), axis=0)]
        if bad.size:
            p = self.params
            k, d = p.means.shape
            with np.errstate(divide="ignore"):
                log_pi = np.log(p.weights)
            # log pi_k + log N(x_n | mu_k, Sigma_k) from x_n - mu_k   (eq-gmm-normal)
            P = _full_precision_cholesky(p._prec_chol, p.covariance_type, k, d)
            A[:, bad] = log_gaussian_matrix(self.X[s + bad], p.means, P, "full", log_pi).T


def _em_block(X, W, P, ws, buf, s, e, stats, R_out, floor, cert=None):
    """E-step over rows s:e: (log-likelihood of the rows, statistics or None)."""
    m = e - s
    xc, Z = ws.features(s, e, P, buf)
    A = buf.A[: ws.k * m].reshape(ws.k, m)
    # a_kn = log pi_k + log N(x_n | mu_k, Sigma_k), laid out (K, rows)   (eq-gmm-normal)
    matmul_cols(W, Z.T, A, ws.step)
    if cert is not None:
        cert.fix(A, s, e)  # rows the rounding bound leaves unproven: from x_n - mu_k
    mx = buf.mx[:m]
    np.max(A, axis=0, out=mx)  # a_n^* = max_k a_nk   (eq-gmm-logsumexp)
    np.subtract(A, mx, out=A)
    if floor is None:
        np.exp(A, out=A)  # e^{a_nk - a_n^*}   (eq-gmm-logsumexp)
    else:
        _exp_floored(A, buf.keep[: ws.k * m].reshape(ws.k, m), floor)
    tot = np.sum(A, axis=0)
    # sum_n log p(x_n) = sum_n (a_n^* + log sum_k e^{a_nk - a_n^*})   (eq-gmm-loglik, eq-gmm-logsumexp)
    ll = float(np.sum(mx) + np.sum(np.log(tot)))
    np.divide(1.0, tot, out=tot)
    A *= tot  # r_nk = exp(a_nk - logsumexp_j a_nj)   (eq-gmm-responsibilities, eq-gmm-logsumexp)
    if R_out is not None:
        R_out[s:e] = A.T
    if not stats:
        return ll, None
    # sum_n r_nk [features_n]: N_k, N_k (xbar_k - xbar) and the parts of G_k a type needs
    # (raw moments about xbar, eq-scale-scatter)
    S = np.zeros((ws.k, ws.f_stats))
    if ws.ctype == "tied":
        Zs = buf.Zs[:, :m]
        Zs[:-1] = xc
        Zs[-1] = 1.0
        accumulate(A, Zs.T, S, buf.kf_s, ws.step)
    else:
        accumulate(A, Z.T, S, buf.kf, ws.step)
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
    cert = _Certificate(params, W, ws, X)
    cert = cert if cert.rows.size else None

    def block(b, w):
        s = b * rows
        return _em_block(X, W, P, ws, ws.bufs[w], s, min(s + rows, n), stats, R_out, floor, cert)

    parts = map_blocks(block, ws.n_blocks, ws.workers)
    # the sums over blocks of rows (raw moments about xbar, eq-scale-scatter)
    ll = 0.0
    for part_ll, _ in parts:
        ll += part_ll
    if not stats:
        return ll, None
    S = np.zeros((ws.k, ws.f_stats))
    for _, part_S in parts:
        S += part_S
    return ll, S


def _moments(S, ws):
    """Centred :class:`Moments` from the statistics of :func:`_em_pass` (coordinates centred on x-bar)."""
    d, ctype = ws.d, ws.ctype
    Nk = S[:, -1]  # N_k = sum_n r_nk   (eq-scale-statistics)
    # N_k (xbar_k - xbar) = sum_n r_nk (x_n - xbar)
    Sx = S[:, -d - 1 : -1] if ctype == "full" else S[:, :d]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(Nk[:, None] > 0, Sx / Nk[:, None], 0.0)  # xbar_k - xbar   (eq-gmm-mstep-mean)
    if ctype == "full":
        q = len(ws.iu[0])
        i, j = ws.iu
        W = np.empty((ws.k, d, d))
        W[:, i, j] = S[:, :q]
        W[:, j, i] = S[:, :q]
        # S_k = G_k - N_k xbar_k xbar_k^T   (eq-scale-scatter; about xbar)
        W -= Sx[:, :, None] * m[:, None, :]
        W = 0.5 * (W + np.swapaxes(W, 1, 2))
    elif ctype == "tied":
        W = ws.scatter - Sx.T @ m  # sum_k S_k = sum_n x x^T - sum_k N_k xbar_k xbar_k^T   (eq-scale-scatter)
        W = 0.5 * (W + W.T)
    elif ctype == "diag":
        W = np.maximum(S[:, d : 2 * d] - Sx * m, 0.0)  # diag S_k = diag G_k - N_k xbar_k^2   (eq-scale-scatter)
    else:
        # tr S_k = tr G_k - N_k ||xbar_k||^2   (eq-scale-scatter)
        W = np.maximum(S[:, d] - np.einsum("kd,kd->k", Sx, m), 0.0)
    return Moments(Nk, m + ws.mean, W, SCATTER_LAYOUT[ctype], ws.mean)


class BlockedEM:
    """EM engine over row blocks on threads (``engine="blocked"``).

    ``e_step(params, final)`` returns the log-likelihood and the statistics of
    the M-step (``final``: the responsibilities are kept instead, exactly);
    ``m_step(S)`` the new (weights, means, covariances), with the conjugate
    ``prior`` if there is one (MAP-EM); ``responsibilities()`` those at the
    parameters of the last E-step.
    """

    def __init__(self, X, covariance_type, n_components, reg_covar, prior=None):
        X = np.ascontiguousarray(X)
        self.X, self.reg_covar, self.prior = X, reg_covar, prior
        n = X.shape[0]
        ws = self.ws = _EMWorkspace(X, covariance_type, n_components)
        if ws.ctype == "tied":
            ws.scatter = np.zeros((ws.d, ws.d))
            for s in range(0, n, ws.rows):
                xc = ws.centred(s, min(s + ws.rows, n))
                ws.scatter += xc @ xc.T  # sum_k G_k = sum_n x_n x_n^T (about xbar)   (eq-scale-scatter)
        ws.r2 = np.einsum("dn,dn->n", ws.XcT, ws.XcT)  # ||x_n - xbar||^2, for the certificate
        ws.radius2 = float(np.max(ws.r2))
        self.R, self.R_params, self.params = None, None, None

    def e_step(self, params, final=False):
        if not _em_safe(params, self.ws):
            raise EngineDeclined("the expanded quadratic forms would lose accuracy")
        self.params = params
        if final:
            return self._exact_pass(params), None
        # passes that feed an M-step skip the exp of negligible responsibilities
        return _em_pass(self.X, params, self.ws, floor=EXP_FLOOR)

    def m_step(self, S):
        # the shared M-step from the statistics   (eq-scale-mstep)
        new = gaussian_parameters(_moments(S, self.ws), self.ws.ctype, self.reg_covar, self.prior)
        if not _floor_harmless(new[2], S, self.ws):
            # small components: redo the E-step exactly, then the M-step
            _, S = _em_pass(self.X, self.params, self.ws, floor=None)
            new = gaussian_parameters(_moments(S, self.ws), self.ws.ctype, self.reg_covar, self.prior)
        return new

    def responsibilities(self):
        if self.R_params is not self.params:
            self._exact_pass(self.params)
        return self.R

    def _exact_pass(self, params):
        if self.R is None:
            self.R = np.empty((self.ws.n, self.ws.k))
        ll, _ = _em_pass(self.X, params, self.ws, stats=False, R_out=self.R)
        self.R_params = params
        return ll
