"""DP-means: k-means without a fixed number of clusters.

Kulis and Jordan :cite:`kulis2012dpmeans` take the small-variance limit of
Gibbs sampling for a Dirichlet-process mixture of Gaussians
:math:`\\mathcal N(\\mu_k, \\sigma^2 I)` with concentration
:math:`\\alpha = (1 + \\sigma_0^2/\\sigma^2)^{D/2}\\exp(-\\lambda/2\\sigma^2)`, with
:math:`\\sigma_0^2` the prior variance of the means.  As
:math:`\\sigma\\to 0` a point joins its nearest cluster unless every squared
distance exceeds :math:`\\lambda`, in which case it opens a new cluster at
itself.  They derive the algorithm from the Gibbs sampler and show that it
never increases the penalised objective (the book's ``{eq}`eq-dpm-objective```)

.. math::

    J_\\lambda(\\mu, z) = \\sum_{n=1}^N \\lVert x_n - \\mu_{z_n}\\rVert^2 + \\lambda K .

The same objective is also the small-variance limit of the DP mixture's joint
posterior over labels and means (MAD-Bayes, Broderick, Kulis and Jordan
:cite:`broderick2013madbayes`): with :math:`\\alpha` shrinking like
:math:`\\exp(-\\lambda/2\\sigma^2)`, :math:`-2\\sigma^2` times its log tends, up to terms free of the labels and
the means, to :math:`J + \\lambda (K - 1)`, which is :math:`J_\\lambda` up to
the constant :math:`\\lambda`.  Minimising :math:`J_\\lambda` is thus the
limit of MAP estimation, whatever algorithm does it, and not only the limit
of Gibbs sampling.

The algorithm is a local search that depends on the order of the rows and
has no merge step (see :func:`dp_means`).

References
----------
B. Kulis and M. I. Jordan, "Revisiting k-means: new algorithms via Bayesian
nonparametrics", ICML 2012.

T. Broderick, B. Kulis and M. I. Jordan, "MAD-Bayes: MAP-based asymptotic
derivations from Bayes", ICML 2013.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ._moments import cluster_sums
from ._record import Recorder
from ._validation import ConvergenceWarning, check_data, check_int, check_labels, check_real, warn
from .kmeans import _check_centers_like, _objective
from .numerics import _nearest

__all__ = ["DPMeansHistory", "DPMeansResult", "dp_means", "dp_means_objective"]


@dataclass(frozen=True, eq=False)
class DPMeansHistory:
    """Per-iteration record of :func:`dp_means`; entry 0 is the initialisation.

    Attributes
    ----------
    objective : ndarray, shape (n_iter + 1,)
        :math:`J_\\lambda` after each iteration (entry 0: one cluster at the data mean).
    n_clusters : ndarray of int, shape (n_iter + 1,)

    Items can also be read as from a dict, ``history["objective"]``, as in
    earlier versions.
    """

    objective: np.ndarray
    n_clusters: np.ndarray

    def __getitem__(self, name):
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def keys(self):
        return [f.name for f in fields(self)]


@dataclass(frozen=True, eq=False)
class DPMeansResult:
    """Result of :func:`dp_means`.

    Attributes
    ----------
    centers : ndarray, shape (n_clusters, n_features)
    labels : ndarray, shape (n_samples,)
    n_clusters : int
    objective : float
        :math:`J_\\lambda = J + \\lambda K` at the result.
    n_iter : int
    converged : bool
        True when a full pass changed no label and opened no cluster.
    history : DPMeansHistory
        :math:`J_\\lambda` and the number of clusters after each pass (entry 0
        = one cluster at the data mean).
    """

    centers: np.ndarray
    labels: np.ndarray
    n_clusters: int
    objective: float
    n_iter: int
    converged: bool
    history: DPMeansHistory

    def predict(self, X):
        """Nearest centre for new points (no new clusters are opened)."""
        X = check_data(X)
        return _nearest(X, self.centers)  # certified nearest centre (companion.numerics)


def dp_means_objective(X, centers, labels, lam):
    """:math:`J_\\lambda = \\sum_n \\lVert x_n-\\mu_{z_n}\\rVert^2 + \\lambda K` with K the number of centres.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    centers : array_like, shape (n_clusters, n_features)
    labels : array_like of int, shape (n_samples,)
        :math:`z_n`, each in ``range(n_clusters)``.
    lam : float
        The penalty :math:`\\lambda \\ge 0` per cluster.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [9.0]])
    >>> float(dp_means_objective(X, np.array([[0.5], [9.0]]), [0, 0, 1], lam=2.0))  # 0.5 + 2 * 2
    4.5
    """
    X = check_data(X)
    centers = _check_centers_like(centers, X)
    lam = check_real(lam, "lam", nonnegative=True)
    labels = check_labels(labels, X.shape[0], centers.shape[0])
    return _objective(X, centers, labels) + lam * centers.shape[0]


def _assignment_pass(X, centers, lam):
    """One sequential DP-means pass over the points, vectorised between openings.

    Points are visited in order; point n joins its nearest centre unless
    ``min_k ||x_n - mu_k||^2 > lam``, in which case a new centre is opened at
    ``x_n``.  Distances to all existing centres are computed at once; after an
    opening only the distances to the new centre are added.
    """
    n = X.shape[0]
    new_labels = _nearest(X, centers)  # certified nearest centre (companion.numerics)
    # the threshold test uses the exact distance to the chosen centre: the
    # expanded norm can leave a point a tiny positive distance from a centre
    # sitting on it, which with lam = 0 would reopen that cluster forever
    diff = X - centers[new_labels]
    best = np.einsum("nd,nd->n", diff, diff)
    centers = list(centers)
    start = 0
    while True:
        over = np.flatnonzero(best[start:] > lam)
        if over.size == 0:
            break
        i = start + int(over[0])
        centers.append(X[i].copy())
        new_labels[i] = len(centers) - 1
        best[i] = 0.0
        # later points may now be closer to the new centre
        rest = slice(i + 1, n)
        diff = X[rest] - X[i]
        d_new = np.einsum("nd,nd->n", diff, diff)
        closer = d_new < best[rest]
        best[rest] = np.where(closer, d_new, best[rest])
        new_labels[rest] = np.where(closer, len(centers) - 1, new_labels[rest])
        start = i + 1
    return np.array(centers), new_labels


def dp_means(X, lam, *, max_iter=100):
    """DP-means clustering with penalty ``lam`` per cluster.

    Starting from one cluster at the data mean, each iteration makes one
    ordered pass over the points (join the nearest centre, or open a new one
    when every squared distance exceeds :math:`\\lambda`), drops clusters left
    empty, and moves every centre to its cluster mean.  Each of these steps
    never increases :math:`J_\\lambda`, so the loop stops after finitely many
    iterations.

    **The result depends on the row order of** ``X``.  The assignment pass
    visits the rows in order, and the first point of a group that is farther
    than :math:`\\sqrt\\lambda` from every centre opens the group's cluster
    at itself; which point that is, and so where the new centre starts and
    which later points it captures, changes with the order.  Shuffling the
    rows can change the number of clusters found.

    **There is no merge step.**  A cluster disappears only when each of its
    points finds a nearer centre in an assignment pass.  A one-point cluster
    never does (its centre sits on its point, at distance 0), so a converged
    result need not be a local minimum of :math:`J_\\lambda` under moves of
    single points: if the point of a one-point cluster is at squared distance
    :math:`d^2 < \\lambda` from another centre, moving it there lowers
    :math:`J_\\lambda` by at least :math:`\\lambda - d^2`, but the algorithm
    never makes that move.  Fits of several row orders, keeping the smallest
    :math:`J_\\lambda`, are a simple guard.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    lam : float
        Penalty :math:`\\lambda \\ge 0` per cluster, in units of squared distance.
    max_iter : int, default 100

    Returns
    -------
    DPMeansResult

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.5], [10.0], [10.5]])
    >>> dp_means(X, lam=4.0).n_clusters
    2
    >>> dp_means(X, lam=1000.0).n_clusters
    1
    """
    X = check_data(X)
    lam = check_real(lam, "lam", nonnegative=True)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    n = X.shape[0]
    centers = X.mean(axis=0, keepdims=True)
    labels = np.zeros(n, dtype=np.intp)
    # J_lambda = sum_n ||x_n - mu_{z_n}||^2 + lambda K   (eq-dpm-objective)
    record = Recorder(objective=_objective(X, centers, labels) + lam, n_clusters=1)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        k_before = centers.shape[0]
        centers, new_labels = _assignment_pass(X, centers, lam)
        opened = centers.shape[0] > k_before
        # drop empty clusters (each removal lowers lam * K) and relabel 0..K-1
        used, new_labels = np.unique(new_labels, return_inverse=True)
        centers = centers[used]
        changed = opened or centers.shape[0] != k_before or not np.array_equal(new_labels, labels)
        labels = new_labels
        counts, sums = cluster_sums(X, labels, centers.shape[0])
        centers = sums / counts[:, None]  # mu_k = mean of cluster k   (eq-kmeans-update)
        record.append(objective=_objective(X, centers, labels) + lam * centers.shape[0], n_clusters=centers.shape[0])
        if not changed:
            converged = True
            break
    if max_iter > 0 and not converged:
        warn(f"dp_means did not converge in max_iter={max_iter} iterations; increase max_iter", ConvergenceWarning)
    return DPMeansResult(
        centers=centers,
        labels=labels,
        n_clusters=int(centers.shape[0]),
        objective=record.last("objective"),
        n_iter=n_iter,
        converged=converged,
        history=record.build(DPMeansHistory),
    )
