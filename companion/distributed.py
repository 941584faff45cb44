"""EM and Lloyd as map-reduce over sufficient statistics, and a Dask driver.

One EM iteration needs the data only through per-component statistics of
the E-step (the book's ``{eq}`eq-scale-statistics```),

.. math::

    N_k = \\sum_n r_{nk}, \\qquad
    \\bar x_k = \\frac{1}{N_k}\\sum_n r_{nk}\\, x_n, \\qquad
    S_k = \\sum_n r_{nk}\\, (x_n - \\bar x_k)(x_n - \\bar x_k)^\\top ,

plus the log-likelihood :math:`\\sum_n \\log p(x_n\\mid\\theta)`.  The
statistics of a block of rows are one *map* (:func:`gmm_statistics`); two
blocks' statistics merge exactly by the pairwise formula of Chan, Golub and
LeVeque (``eq-scale-merge``, :class:`GMMStatistics` ``+``), which is the
*reduce*; the M-step is a cheap function of the merged statistics
(:func:`params_from_statistics`, ``eq-scale-mstep``).  The raw moments
:math:`N_k\\bar x_k = \\sum_n r_{nk} x_n` and
:math:`G_k = \\sum_n r_{nk} x_n x_n^\\top` would add up over blocks too, but
:math:`S_k = G_k - N_k\\bar x_k\\bar x_k^\\top` (``eq-scale-scatter``) cancels
catastrophically for data far from the origin, so they are never formed.
Lloyd's algorithm is the same with one-hot responsibilities
(:func:`kmeans_statistics`: counts and sums about a reference point).

:func:`gmm_dask` and :func:`kmeans_dask` run these maps over the blocks of
a ``dask.array`` (rows chunked, features in one chunk) with any Dask
scheduler (see their ``scheduler`` argument for which one runs).  Dask is
imported only when these two functions are called; the rest of
:mod:`companion` never needs it.

References
----------
T. F. Chan, G. H. Golub and R. J. LeVeque, "Updating formulae and a pairwise
algorithm for computing sample variances", Stanford CS-TR-79-773 (1979).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._moments import Moments, cluster_sums, gaussian_parameters, weighted_moments
from ._validation import DegenerateWarning, check_choice, check_data, check_int, check_real, warn
from .gaussians import COVARIANCE_TYPES, GMMParams, _e_step
from .kmeans import lloyd
from .mixture import fit_mixture
from .numerics import _nearest

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

    They are kept *centred* (``eq-scale-statistics``): per component the
    weight, the weighted mean and the scatter about that mean, which merge
    exactly with Chan, Golub and LeVeque's pairwise formula
    (``eq-scale-merge``, see ``companion._moments``), so data far from the
    origin lose no digits.  No raw sum is stored; ``Sx`` and ``Sxx`` compute
    the raw moments :math:`N_k\\bar x_k` and :math:`G_k` from them, for
    comparison.

    Attributes
    ----------
    n : int
        Number of rows.
    Nk : ndarray, shape (K,)
        :math:`N_k = \\sum_n r_{nk}`.
    means : ndarray, shape (K, D)
        :math:`\\bar x_k = \\sum_n r_{nk} x_n / N_k`.
    scatter : ndarray, shape (K, D, D)
        :math:`S_k = \\sum_n r_{nk} (x_n - \\bar x_k)(x_n - \\bar x_k)^\\top`.
    log_likelihood : float
        :math:`\\sum_n \\log p(x_n\\mid\\theta)` over the rows.
    """

    n: int
    Nk: np.ndarray
    means: np.ndarray
    scatter: np.ndarray
    log_likelihood: float

    @property
    def Sx(self):
        """:math:`\\sum_n r_{nk} x_n = N_k \\bar x_k`, shape (K, D) (formed on request; not what is merged)."""
        return self.Nk[:, None] * self.means

    @property
    def Sxx(self):
        """:math:`G_k = \\sum_n r_{nk} x_n x_n^\\top = S_k + N_k \\bar x_k \\bar x_k^\\top` (eq-scale-scatter), shape (K, D, D).

        Formed on request; far from the origin it carries the cancellation
        that the centred statistics avoid.
        """
        return self.scatter + self.Nk[:, None, None] * self.means[:, :, None] * self.means[:, None, :]

    def moments(self):
        """These statistics as ``companion._moments.Moments``."""
        centre = (self.Nk @ self.means) / self.Nk.sum() if self.Nk.sum() > 0 else self.means.mean(axis=0)
        return Moments(self.Nk, self.means, self.scatter, "full", centre)

    def __add__(self, other):
        m = self.moments().merge(other.moments())  # Chan, Golub and LeVeque
        return GMMStatistics(self.n + other.n, m.Nk, m.means, m.scatter, self.log_likelihood + other.log_likelihood)


def gmm_statistics(X, params):
    """E-step on a block of rows, reduced to its sufficient statistics (the *map*).

    The E-step is :func:`companion.e_step` (certified against the rounding
    of the expanded quadratic forms); the statistics are centred, :math:`N_k`,
    :math:`\\bar x_k` and :math:`S_k` of ``eq-scale-statistics``, computed in
    two passes over the block (the mean, then the scatter about it), so
    blocks far from the origin keep their digits.  Add the results of
    several blocks with ``+`` (``eq-scale-merge``).

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
    >>> bool(np.allclose(whole.Sx, parts.Sx)) and bool(np.allclose(whole.scatter, parts.scatter))
    True
    """
    X = check_data(X)
    R, ll = _e_step(X, params)  # r_nk and sum_n log p(x_n | theta)
    m = weighted_moments(X, R, "full")  # N_k, xbar_k and S_k, two passes over the block   (eq-scale-statistics)
    return GMMStatistics(n=X.shape[0], Nk=m.Nk, means=m.means, scatter=m.scatter, log_likelihood=ll)


def params_from_statistics(stats, covariance_type="full", reg_covar=1e-6):
    """The M-step from merged statistics (the end of the *reduce*; ``eq-scale-mstep``).

    .. math::

        \\pi_k = \\frac{N_k}{N},\\quad \\mu_k = \\bar x_k,\\quad
        \\Sigma_k = \\frac{S_k}{N_k} + \\epsilon I

    with ``tied``, ``diag`` and ``spherical`` derived exactly as in
    :func:`companion.m_step` (the same function computes both).

    Parameters
    ----------
    stats : GMMStatistics
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float

    Returns
    -------
    GMMParams

    Examples
    --------
    Statistics of two blocks, merged with ``+``, give the in-memory M-step:

    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [9.0], [11.0]])
    >>> p = GMMParams([0.5, 0.5], [[0.0], [10.0]], [1.0, 1.0], "spherical")
    >>> stats = gmm_statistics(X[:2], p) + gmm_statistics(X[2:], p)
    >>> q = params_from_statistics(stats, "spherical", reg_covar=0.0)
    >>> q.means.ravel().tolist(), q.covariances.tolist()
    ([0.5, 10.0], [0.25, 1.0])
    """
    reg_covar = check_real(reg_covar, "reg_covar", nonnegative=True)
    covariance_type = check_choice(covariance_type, COVARIANCE_TYPES, "covariance_type")
    # (eq-scale-mstep): the shared map from statistics to parameters
    return GMMParams(*gaussian_parameters(stats.moments(), covariance_type, reg_covar), covariance_type)


@dataclass(frozen=True, eq=False)
class KMeansStatistics:
    """Per-cluster counts and sums of one assignment step over some rows; add with ``+``.

    The sums are kept about a reference point :math:`c` (the mean of the
    centres the rows were assigned to, the same for every block of one
    step), so that data far from the origin keep their digits: summing raw
    coordinates near 1.7e9 would lose about 18 float64 spacings in the
    centres.  ``+`` moves the second operand's sums to the first one's
    :math:`c` (:math:`s_k + N_k (c' - c)`; nothing to do when they share it).

    Attributes
    ----------
    counts : ndarray, shape (K,)
        :math:`N_k = \\#\\{n : z_n = k\\}`.
    centred_sums : ndarray, shape (K, D)
        :math:`\\sum_{z_n = k} (x_n - c) = N_k(\\bar x_k - c)`.
    centre : ndarray, shape (D,)
        The reference point :math:`c`.
    objective : float
        :math:`J` of the rows under the centres they were assigned to.
    n_changed : int
        Rows whose nearest centre differs from their nearest ``previous`` centre
        (all rows when there was no previous).
    """

    counts: np.ndarray
    centred_sums: np.ndarray
    centre: np.ndarray
    objective: float
    n_changed: int

    @property
    def sums(self):
        """:math:`\\sum_{z_n = k} x_n = N_k c + \\sum_{z_n = k}(x_n - c)`, shape (K, D)."""
        return self.counts[:, None] * self.centre + self.centred_sums

    def __add__(self, other):
        shift = other.centre - self.centre  # other's sums about this centre: s_k + N_k (c' - c)
        moved = other.centred_sums + other.counts[:, None] * shift if np.any(shift) else other.centred_sums
        return KMeansStatistics(
            self.counts + other.counts,
            self.centred_sums + moved,
            self.centre,
            self.objective + other.objective,
            self.n_changed + other.n_changed,
        )


def kmeans_statistics(X, centers, previous=None):
    """Assignment step on a block of rows, reduced to counts and sums (the *map*).

    The labels are those of :func:`companion.assign` (certified against the
    rounding of the expanded distances, here expanded about
    :math:`c`, the mean of ``centers``); the sums are of :math:`x_n - c`
    (``centred_sums``; ``sums`` adds :math:`N_k c` back), so that data far
    from the origin keep their digits: at an offset of 1.7e9 the centres are
    then as accurate as in memory, where raw sums lost about 18 float64
    spacings.  Every block of one step gets the same ``centers``, hence the
    same :math:`c`, and ``+`` adds their sums as they are.  ``previous``
    (the centres of the iteration before) is used only to count how many
    labels changed, which is what the stopping rule needs without keeping
    any labels between iterations.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        One block of rows.
    centers : array_like, shape (n_clusters, n_features)
        The centres :math:`\\mu_k` of this step.
    previous : array_like, shape (n_clusters, n_features), optional
        The centres of the step before, to count changed labels.

    Returns
    -------
    KMeansStatistics

    Examples
    --------
    >>> import numpy as np
    >>> s = kmeans_statistics(np.array([[0.0], [1.0], [9.0]]), np.array([[0.0], [10.0]]))
    >>> s.counts.tolist(), s.sums.ravel().tolist(), s.objective
    ([2, 1], [1.0, 9.0], 2.0)
    """
    X = check_data(X)
    # distances expanded about the centres' mean (no cancellation far from the origin),
    # certified as in cp.assign: the labels are those of the in-memory assignment step
    c = centers.mean(axis=0)
    labels = _nearest(X, centers, centre=c)  # (eq-kmeans-assign)
    if previous is None:
        n_changed = X.shape[0]
    else:
        n_changed = int(np.count_nonzero(labels != _nearest(X, previous, centre=c)))
    # sums of x_n - c, so that data far from the origin keep their digits
    counts, sums = cluster_sums(X - c, labels, centers.shape[0])
    diff = X - centers[labels]
    return KMeansStatistics(
        counts=counts,
        centred_sums=sums,
        centre=c,
        objective=float(np.einsum("nd,nd->", diff, diff)),
        n_changed=n_changed,
    )


def centers_from_statistics(stats, previous):
    """New centres :math:`\\mu_k = c + \\sum_{z_n=k}(x_n - c) / N_k`; an empty cluster keeps its previous one.

    The update step of Lloyd's algorithm (``eq-kmeans-update``) from merged
    :class:`KMeansStatistics` (the end of the *reduce*).

    Parameters
    ----------
    stats : KMeansStatistics
        The counts and sums of every block of one assignment step, added.
    previous : array_like, shape (n_clusters, n_features)
        The centres the step assigned to; an empty cluster keeps its row.

    Returns
    -------
    ndarray, shape (n_clusters, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> X, centers = np.array([[0.0], [1.0]]), np.array([[0.0], [10.0]])
    >>> centers_from_statistics(kmeans_statistics(X, centers), centers).ravel().tolist()
    [0.5, 10.0]
    """
    counts = stats.counts
    # mu_k = sum_{z_n = k} x_n / N_k   (eq-kmeans-update), about the reference point c
    means = stats.centre + stats.centred_sums / np.maximum(counts, 1)[:, None]
    return np.where(counts[:, None] > 0, means, previous)


def _row_blocks(X):
    """The row blocks of a 2-D dask array as delayed objects (features must be one chunk)."""
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D dask array; got {X.ndim} dimensions")
    if len(X.chunks[1]) != 1:
        raise ValueError(
            "X must be chunked along rows only; rechunk with X.rechunk({1: -1})"
        )
    return list(X.to_delayed()[:, 0])


def _reduce(function, blocks, scheduler, *args):
    """Map ``function(block, *args)`` over the blocks with Dask and add the results (the reduce)."""
    import dask

    task = dask.delayed(function, pure=True)
    (parts,) = dask.compute([task(b, *args) for b in blocks], scheduler=scheduler)
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


class DaskEM:
    """The Dask engine of EM: each E-step is one map-reduce of :func:`gmm_statistics`."""

    def __init__(self, X, covariance_type, reg_covar, scheduler):
        self.X, self.blocks = X, _row_blocks(X)
        self.ctype, self.reg_covar, self.scheduler = covariance_type, reg_covar, scheduler

    def e_step(self, params, final=False):
        self.params = params
        stats = _reduce(gmm_statistics, self.blocks, self.scheduler, params)
        return stats.log_likelihood, stats

    def m_step(self, stats):
        return gaussian_parameters(stats.moments(), self.ctype, self.reg_covar)

    def responsibilities(self):
        final = self.params
        return self.X.map_blocks(
            lambda b: final.predict_proba(b), chunks=(self.X.chunks[0], (final.n_components,)), dtype=float
        )


class DaskLloyd:
    """The Dask engine of Lloyd's loop: each assignment step is one map-reduce of :func:`kmeans_statistics`."""

    # the data are not in memory, so the loop cannot confirm a fixed point
    # with the plain steps; this engine's steps are functions of the labels
    # alone (no incremental sums), so its own fixed point is a true one
    confirm_fixed_point = False

    def __init__(self, X, scheduler):
        self.X, self.blocks, self.scheduler = X, _row_blocks(X), scheduler
        self.n_samples = X.shape[0]

    def start(self, centers):
        self.stats, self.centers = _reduce(kmeans_statistics, self.blocks, self.scheduler, centers), centers
        return self.stats.objective

    def update(self):
        if np.any(self.stats.counts == 0):
            warn("a cluster became empty; it keeps its previous centre", DegenerateWarning)
        return centers_from_statistics(self.stats, self.centers)  # mu_k = S_k / N_k

    def assign(self, centers):
        self.stats = _reduce(kmeans_statistics, self.blocks, self.scheduler, centers, self.centers)
        self.centers = centers
        return self.stats.n_changed, self.stats.objective

    def labels(self):
        final = self.centers
        c = final.mean(axis=0)
        return self.X.map_blocks(
            lambda b: _nearest(np.asarray(b, dtype=np.float64), final, centre=c),
            drop_axis=1,
            dtype=np.intp,
        )


def gmm_dask(X, init, *, max_iter=100, tol=1e-6, reg_covar=1e-6, scheduler=None):
    """EM for a Gaussian mixture on a dask array, one map-reduce per iteration.

    The iterations are those of :func:`companion.gmm` started from ``init``
    (the same loop, ``companion.mixture.em``, and the same stopping rule
    on the per-sample log-likelihood), with the ``DaskEM`` engine.  The
    sums are formed differently (per block, then merged pairwise), so the
    iterates agree with the in-memory ones to rounding.

    Parameters
    ----------
    X : dask.array.Array, shape (n_samples, n_features)
        Chunked along rows only.
    init : GMMParams
        Initial parameters; their ``covariance_type`` is used throughout.
    max_iter, tol, reg_covar
        As in :func:`companion.gmm`.
    scheduler : str, dask.distributed.Client, callable, Executor or None
        Which Dask scheduler runs the maps, passed to ``dask.compute``.  An
        explicit value wins (``"threads"``, ``"processes"``,
        ``"synchronous"``, ``"distributed"``, a ``Client``, ...).  ``None``
        leaves the choice to Dask, which takes, in this order: the
        ``"scheduler"`` set in ``dask.config`` (creating a
        ``dask.distributed.Client`` with ``set_as_default=True``, the
        default, writes ``scheduler="dask.distributed"`` there, so a
        connected Client is normally found this way); else the default
        ``Client``, if one is connected; else the collection's own default,
        here the local threaded scheduler (``dask.base.get_scheduler``).

    Returns
    -------
    GMMResult
        ``responsibilities`` and ``labels`` are lazy dask arrays.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> X = da.from_array(np.array([[0.0], [1.0], [9.0], [11.0]]), chunks=2)
    >>> init = GMMParams([0.5, 0.5], [[0.0], [10.0]], [1.0, 1.0], "spherical")
    >>> result = gmm_dask(X, init, scheduler="synchronous")
    >>> np.round(result.params.means.ravel(), 6).tolist(), result.converged
    ([0.5, 10.0], True)
    """
    if not isinstance(init, GMMParams):
        raise TypeError(f"init must be a GMMParams; got {type(init).__name__}")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    tol = check_real(tol, "tol", nonnegative=True)
    reg_covar = check_real(reg_covar, "reg_covar", nonnegative=True)
    return fit_mixture(DaskEM(X, init.covariance_type, reg_covar, scheduler), init, max_iter, tol, X.shape[0])


def kmeans_dask(X, init, *, max_iter=300, scheduler=None):
    """Lloyd's algorithm on a dask array, one map-reduce per iteration.

    The loop is the one of :func:`companion.kmeans` (``companion.kmeans.lloyd``)
    with the ``DaskLloyd`` engine: each iteration maps
    :func:`kmeans_statistics` over the blocks (with the new and the previous
    centres, so that the number of changed labels is known without storing
    labels) and reduces by summation; it stops when no label changed.  Its
    labels are those of the in-memory assignment step (certified against the
    rounding of the expanded distances) and its sums are kept about the mean
    of the centres, so it reproduces the in-memory iterates from the same
    ``init`` up to the order of floating-point sums, also for data far from
    the origin or clusters far apart (that order can decide an exact tie the other way: the
    result is a fixed point of this engine's steps, which unlike
    :func:`companion.kmeans` it does not confirm with the plain steps, the
    data not being in memory).  An empty cluster keeps its previous centre (a
    :class:`DegenerateWarning` is emitted), unlike the in-memory policy, which
    needs a global search for the farthest point.

    Parameters
    ----------
    X : dask.array.Array, shape (n_samples, n_features)
        Chunked along rows only.
    init : array_like, shape (n_clusters, n_features)
        Initial centres.
    max_iter : int
    scheduler : str, dask.distributed.Client, callable, Executor or None
        As in :func:`gmm_dask` (explicit argument, else ``dask.config``'s
        ``"scheduler"``, else the default Client, else threads).

    Returns
    -------
    KMeansResult
        ``labels`` is a lazy dask array.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> X = da.from_array(np.array([[0.0], [1.0], [9.0], [11.0]]), chunks=2)
    >>> result = kmeans_dask(X, np.array([[0.0], [10.0]]), scheduler="synchronous")
    >>> result.centers.ravel().tolist(), result.labels.compute().tolist()
    ([0.5, 10.0], [0, 0, 1, 1])
    """
    centers = check_data(init, "init")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    return lloyd(DaskLloyd(X, scheduler), centers, max_iter)
