"""EM and Lloyd as map-reduce over sufficient statistics, and a Dask driver.

One EM iteration needs the data only through per-component sums
(the book's ``{eq}`eq-scale-statistics```),

.. math::

    N_k = \\sum_n r_{nk}, \\qquad
    S_k = \\sum_n r_{nk}\\, x_n, \\qquad
    T_k = \\sum_n r_{nk}\\, x_n x_n^\\top ,

plus the log-likelihood :math:`\\sum_n \\log p(x_n\\mid\\theta)`.  Each sum
splits over blocks of rows, so the E-step is a *map* (statistics of each
block, :func:`gmm_statistics`) and the M-step starts with a *reduce* (their
sum) followed by a cheap function of the totals
(:func:`params_from_statistics`).  Lloyd's algorithm is the same with
one-hot responsibilities (:func:`kmeans_statistics`).

:func:`gmm_dask` and :func:`kmeans_dask` run these maps over the blocks of
a ``dask.array`` (rows chunked, features in one chunk) with any Dask
scheduler: the local threaded scheduler by default, or a
``dask.distributed`` cluster once a ``Client`` is connected.  Dask is
imported only when these two functions are called; the rest of
:mod:`companion` never needs it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._validation import DegenerateWarning, check_data, check_int, check_real
from .kmeans import _lloyd_result
from .mixture import COVARIANCE_TYPES, GMMParams, _e_step, _em_result
from .numerics import _squared_distances

__all__ = [
    "GMMStatistics",
    "KMeansStatistics",
    "gmm_statistics",
    "params_from_statistics",
    "kmeans_statistics",
    "centers_from_statistics",
    "gmm_dask",
    "kmeans_dask",
]


@dataclass(frozen=True, eq=False)
class GMMStatistics:
    """Sufficient statistics of one E-step over some rows; add them with ``+``.

    Attributes
    ----------
    n : int
        Number of rows.
    Nk : ndarray, shape (K,)
        :math:`\\sum_n r_{nk}`.
    Sx : ndarray, shape (K, D)
        :math:`\\sum_n r_{nk} x_n`.
    Sxx : ndarray, shape (K, D, D)
        :math:`\\sum_n r_{nk} x_n x_n^\\top`.
    log_likelihood : float
        :math:`\\sum_n \\log p(x_n\\mid\\theta)` over the rows.
    """

    n: int
    Nk: np.ndarray
    Sx: np.ndarray
    Sxx: np.ndarray
    log_likelihood: float

    def __add__(self, other):
        return GMMStatistics(
            self.n + other.n,
            self.Nk + other.Nk,
            self.Sx + other.Sx,
            self.Sxx + other.Sxx,
            self.log_likelihood + other.log_likelihood,
        )


def gmm_statistics(X, params):
    """E-step on a block of rows, reduced to its sufficient statistics (the *map*).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    params : GMMParams

    Returns
    -------
    GMMStatistics

    Examples
    --------
    >>> import numpy as np
    >>> p = GMMParams([0.5, 0.5], [[0.0], [4.0]], [1.0, 1.0], "spherical")
    >>> X = np.array([[0.0], [4.0], [2.0]])
    >>> whole = gmm_statistics(X, p)
    >>> parts = gmm_statistics(X[:1], p) + gmm_statistics(X[1:], p)
    >>> bool(np.allclose(whole.Sx, parts.Sx))
    True
    """
    X = check_data(X)
    R, ll = _e_step(X, params)  # r_nk and sum_n log p(x_n | theta)
    # T_k = sum_n r_nk x_n x_n^T: one matrix product per component (a generic
    # einsum over n, k, i, j was about 6x slower)
    Sxx = np.empty((R.shape[1], X.shape[1], X.shape[1]))
    for k in range(R.shape[1]):
        np.matmul(X.T, R[:, k, None] * X, out=Sxx[k])
    return GMMStatistics(n=X.shape[0], Nk=R.sum(axis=0), Sx=R.T @ X, Sxx=Sxx, log_likelihood=ll)


def params_from_statistics(stats, covariance_type="full", reg_covar=1e-6):
    """The M-step from summed statistics (the end of the *reduce*).

    .. math::

        \\pi_k = \\frac{N_k}{N},\\quad \\mu_k = \\frac{S_k}{N_k},\\quad
        \\Sigma_k = \\frac{T_k}{N_k} - \\mu_k\\mu_k^\\top + \\epsilon I

    with ``tied``, ``diag`` and ``spherical`` derived from the :math:`\\Sigma_k`
    exactly as in :func:`companion.m_step` (including its
    :math:`10\\,\\varepsilon_{\\mathrm{mach}}` added to each :math:`N_k`).

    Parameters
    ----------
    stats : GMMStatistics
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float

    Returns
    -------
    GMMParams
    """
    reg_covar = check_real(reg_covar, "reg_covar", nonnegative=True)
    Nk = stats.Nk + 10 * np.finfo(np.float64).eps
    mu = stats.Sx / Nk[:, None]
    d = mu.shape[1]
    if covariance_type == "full":
        Sigma = stats.Sxx / Nk[:, None, None] - np.einsum("ki,kj->kij", mu, mu)
        Sigma = 0.5 * (Sigma + np.transpose(Sigma, (0, 2, 1)))
        Sigma[:, np.arange(d), np.arange(d)] += reg_covar
    elif covariance_type == "tied":
        Sigma = (stats.Sxx.sum(axis=0) - (Nk[:, None] * mu).T @ mu) / Nk.sum()
        Sigma = 0.5 * (Sigma + Sigma.T)
        Sigma.flat[:: d + 1] += reg_covar
    elif covariance_type in ("diag", "spherical"):
        diag = np.diagonal(stats.Sxx, axis1=1, axis2=2) / Nk[:, None] - mu**2
        diag = np.maximum(diag, 0.0) + reg_covar
        Sigma = diag if covariance_type == "diag" else diag.mean(axis=1)
    else:
        raise ValueError(f"Unknown covariance_type {covariance_type!r}; expected one of {COVARIANCE_TYPES}")
    return GMMParams(Nk / Nk.sum(), mu, Sigma, covariance_type)


@dataclass(frozen=True, eq=False)
class KMeansStatistics:
    """Per-cluster counts and sums of one assignment step over some rows; add with ``+``.

    Attributes
    ----------
    counts : ndarray, shape (K,)
    sums : ndarray, shape (K, D)
    objective : float
        :math:`J` of the rows under the centres they were assigned to.
    n_changed : int
        Rows whose nearest centre differs from their nearest ``previous`` centre
        (all rows when there was no previous).
    """

    counts: np.ndarray
    sums: np.ndarray
    objective: float
    n_changed: int

    def __add__(self, other):
        return KMeansStatistics(
            self.counts + other.counts,
            self.sums + other.sums,
            self.objective + other.objective,
            self.n_changed + other.n_changed,
        )


def kmeans_statistics(X, centers, previous=None):
    """Assignment step on a block of rows, reduced to counts and sums (the *map*).

    ``previous`` (the centres of the iteration before) is used only to count
    how many labels changed, which is what the stopping rule needs without
    keeping any labels between iterations.

    Examples
    --------
    >>> import numpy as np
    >>> s = kmeans_statistics(np.array([[0.0], [1.0], [9.0]]), np.array([[0.0], [10.0]]))
    >>> s.counts.tolist(), s.sums.ravel().tolist(), s.objective
    ([2, 1], [1.0, 9.0], 2.0)
    """
    X = check_data(X)
    D2 = _squared_distances(X, centers)
    labels = np.argmin(D2, axis=1)
    if previous is None:
        n_changed = X.shape[0]
    else:
        n_changed = int(np.count_nonzero(labels != np.argmin(_squared_distances(X, previous), axis=1)))
    k = centers.shape[0]
    sums = np.stack(
        [np.bincount(labels, weights=X[:, j], minlength=k) for j in range(X.shape[1])], axis=1
    )
    diff = X - centers[labels]
    return KMeansStatistics(
        counts=np.bincount(labels, minlength=k),
        sums=sums,
        objective=float(np.einsum("nd,nd->", diff, diff)),
        n_changed=n_changed,
    )


def centers_from_statistics(stats, previous):
    """New centres :math:`\\mu_k = S_k / N_k`; an empty cluster keeps its previous centre."""
    counts = stats.counts
    return np.where(counts[:, None] > 0, stats.sums / np.maximum(counts, 1)[:, None], previous)


def _row_blocks(X):
    """The row blocks of a 2-D dask array as delayed objects (features must be one chunk)."""
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D dask array; got {X.ndim} dimensions")
    if len(X.chunks[1]) != 1:
        raise ValueError(
            "X must be chunked along rows only; rechunk with X.rechunk({1: -1})"
        )
    return list(X.to_delayed()[:, 0])


def gmm_dask(X, init, *, max_iter=100, tol=1e-6, reg_covar=1e-6, scheduler=None):
    """EM for a Gaussian mixture on a dask array, one map-reduce per iteration.

    The iterations are those of :func:`companion.gmm` started from ``init``
    (same stopping rule on the per-sample log-likelihood): only the order of
    the floating-point sums differs.

    Parameters
    ----------
    X : dask.array.Array, shape (n_samples, n_features)
        Chunked along rows only.
    init : GMMParams
        Initial parameters; their ``covariance_type`` is used throughout.
    max_iter, tol, reg_covar
        As in :func:`companion.gmm`.
    scheduler : str or None
        Passed to ``dask.compute`` (``None``: the default scheduler, which is a
        connected ``dask.distributed.Client`` if there is one, else threads).

    Returns
    -------
    GMMResult
        ``responsibilities`` and ``labels`` are lazy dask arrays.
    """
    import dask

    if not isinstance(init, GMMParams):
        raise TypeError(f"init must be a GMMParams; got {type(init).__name__}")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    tol = check_real(tol, "tol", nonnegative=True)
    reg_covar = check_real(reg_covar, "reg_covar", nonnegative=True)
    blocks = _row_blocks(X)
    stat_of_block = dask.delayed(gmm_statistics, pure=True)

    def e_step(params):
        parts = [stat_of_block(b, params) for b in blocks]
        (parts,) = dask.compute(parts, scheduler=scheduler)
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total

    params = init
    stats = e_step(params)
    n = stats.n
    lls, means, weights, covs = [stats.log_likelihood], [params.means], [params.weights], [params.covariances]
    converged, n_iter, change = False, 0, np.nan
    for n_iter in range(1, max_iter + 1):
        params = params_from_statistics(stats, params.covariance_type, reg_covar)
        new = e_step(params)
        change = (new.log_likelihood - stats.log_likelihood) / n
        stats = new
        lls.append(stats.log_likelihood)
        means.append(params.means)
        weights.append(params.weights)
        covs.append(params.covariances)
        if abs(change) < tol:
            converged = True
            break
    final = params
    R = X.map_blocks(lambda b: final.predict_proba(b), chunks=(X.chunks[0], (final.n_components,)), dtype=float)
    return _em_result(final, R, lls, means, weights, covs, n_iter, converged, tol, max_iter, change, stacklevel=2)


def kmeans_dask(X, init, *, max_iter=300, scheduler=None):
    """Lloyd's algorithm on a dask array, one map-reduce per iteration.

    Each iteration maps :func:`kmeans_statistics` over the blocks (with the
    new and the previous centres, so that the number of changed labels is
    known without storing labels) and reduces by summation; it stops when no
    label changed, exactly like :func:`companion.kmeans`, whose iterates it
    reproduces from the same ``init`` up to the order of floating-point sums.
    An empty cluster keeps its previous centre (a :class:`DegenerateWarning`
    is emitted), unlike the in-memory policy, which needs a global search for
    the farthest point.

    Parameters
    ----------
    X : dask.array.Array, shape (n_samples, n_features)
        Chunked along rows only.
    init : array_like, shape (n_clusters, n_features)
        Initial centres.
    max_iter : int
    scheduler : str or None

    Returns
    -------
    KMeansResult
        ``labels`` is a lazy dask array.
    """
    import dask

    centers = check_data(init, "init")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    blocks = _row_blocks(X)
    stat_of_block = dask.delayed(kmeans_statistics, pure=True)

    def reduce(c, previous=None):
        parts = [stat_of_block(b, c, previous) for b in blocks]
        (parts,) = dask.compute(parts, scheduler=scheduler)
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total

    stats = reduce(centers)
    history_centers, objectives, n_changed = [centers], [stats.objective], [stats.n_changed]
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):
        if np.any(stats.counts == 0):
            warnings.warn("a cluster became empty; it keeps its previous centre", DegenerateWarning, stacklevel=2)
        new_centers = centers_from_statistics(stats, centers)  # mu_k = S_k / N_k
        stats = reduce(new_centers, centers)
        centers = new_centers
        history_centers.append(centers)
        objectives.append(stats.objective)
        n_changed.append(stats.n_changed)
        if stats.n_changed == 0:
            converged = True
            break
    final = centers
    labels = X.map_blocks(
        lambda b: np.argmin(_squared_distances(np.asarray(b, dtype=np.float64), final), axis=1),
        drop_axis=1,
        dtype=np.intp,
    )
    return _lloyd_result(
        final, labels, objectives, history_centers, n_changed, n_iter, converged, max_iter, stacklevel=2
    )
