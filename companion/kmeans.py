"""k-means: the objective, Lloyd's two steps, k-means++ seeding and the full fit.

The k-means objective (the book's ``{eq}`eq-kmeans-objective```) is the sum
of squared distances from each point to the centre of its cluster,

.. math::

    J(\\mu, z) = \\sum_{n=1}^{N} \\lVert x_n - \\mu_{z_n} \\rVert^2 .

Lloyd's algorithm alternates two steps, each of which can only lower ``J``:
the assignment step (:func:`assign`) puts each point with its nearest centre,
and the update step (:func:`update_centers`) moves each centre to the mean of
its points.  :func:`kmeans` is a short loop over the two, recording the
objective, the centres and the number of changed labels at every iteration.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._validation import (
    ConvergenceWarning,
    DegenerateWarning,
    check_centers,
    check_choice,
    check_data,
    check_int,
    check_labels,
    check_n_clusters,
    check_seed,
)
from . import _scaling
from .numerics import _squared_distances

__all__ = [
    "KMeansHistory",
    "KMeansResult",
    "assign",
    "update_centers",
    "kmeans_objective",
    "kmeans_plusplus",
    "kmeans",
]

KMEANS_INITS = ("k-means++", "random")


@dataclass(frozen=True, eq=False)
class KMeansHistory:
    """Per-iteration record of a k-means fit; entry 0 is the initialisation.

    Attributes
    ----------
    objective : ndarray, shape (n_iter + 1,)
        :math:`J` after each iteration (centres and the labels assigned to them).
    centers : ndarray, shape (n_iter + 1, n_clusters, n_features)
        Centres after each iteration.
    n_changed : ndarray, shape (n_iter + 1,)
        Number of labels that changed in each iteration (entry 0: all of them).
    """

    objective: np.ndarray
    centers: np.ndarray
    n_changed: np.ndarray


@dataclass(frozen=True, eq=False)
class KMeansResult:
    """Result of :func:`kmeans`.

    Attributes
    ----------
    centers : ndarray, shape (n_clusters, n_features)
        Final centres :math:`\\mu_k`.
    labels : ndarray, shape (n_samples,)
        Index of the nearest final centre for every point, :math:`z_n`.
    objective : float
        :math:`J(\\mu, z)`, the sum of squared distances to the assigned centres.
    n_iter : int
        Number of Lloyd iterations performed (update step + assignment step).
    converged : bool
        True when an iteration left every label unchanged.
    history : KMeansHistory
        Objective, centres and changed-label counts per iteration.
    """

    centers: np.ndarray
    labels: np.ndarray
    objective: float
    n_iter: int
    converged: bool
    history: KMeansHistory

    @property
    def n_clusters(self):
        """Number of clusters :math:`K`."""
        return self.centers.shape[0]

    def predict(self, X):
        """Nearest-centre labels for new points ``X`` (shape (n_samples, n_features))."""
        return assign(X, self.centers)


def assign(X, centers):
    """Assignment step: the index of the nearest centre for every point.

    .. math::

        z_n = \\operatorname*{arg\\,min}_k \\lVert x_n - \\mu_k \\rVert^2

    Ties go to the lowest index.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Data points.
    centers : array_like, shape (n_clusters, n_features)
        Current centres.

    Returns
    -------
    labels : ndarray of int, shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> assign(np.array([[0.0], [0.9], [2.1]]), np.array([[0.0], [2.0]]))
    array([0, 0, 1])
    """
    X = check_data(X)
    centers = _check_centers_like(centers, X)
    e = _scaling.data_exponent(X, centers)  # extreme magnitudes: rescale exactly
    if e:
        X, centers = _scaling.scale(X, e), _scaling.scale(centers, e)
    return _assign(X, centers)


def _assign(X, centers, x_sq=None):
    return np.argmin(_squared_distances(X, centers, x_sq), axis=1)


def update_centers(X, labels, n_clusters):
    """Update step: move every centre to the mean of the points assigned to it.

    .. math::

        \\mu_k = \\frac{1}{N_k} \\sum_{n : z_n = k} x_n,
        \\qquad N_k = \\#\\{n : z_n = k\\}

    **Empty clusters.** A cluster with no points has no mean.  Its centre is
    moved to the point farthest from the new centre of its own cluster (the
    point the current solution explains worst); several empty clusters take
    the farthest, second-farthest, ... points, in order of cluster index.
    This never increases :math:`J` (an empty cluster contributes nothing),
    never yields NaN, and is deterministic.  A :class:`DegenerateWarning`
    is emitted.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Data points.
    labels : array_like of int, shape (n_samples,)
        Cluster index of every point, in ``[0, n_clusters)``.
    n_clusters : int
        Number of clusters :math:`K`.

    Returns
    -------
    centers : ndarray, shape (n_clusters, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> update_centers(np.array([[0.0], [2.0], [10.0]]), np.array([0, 0, 1]), 2)
    array([[ 1.],
           [10.]])
    """
    X = check_data(X)
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    labels = check_labels(labels, X.shape[0], n_clusters)
    e = _scaling.data_exponent(X)  # extreme magnitudes: rescale exactly
    if e:
        return _scaling.unscale(_update_centers(_scaling.scale(X, e), labels, n_clusters), e)
    return _update_centers(X, labels, n_clusters)


def _update_centers(X, labels, n_clusters):
    counts = np.bincount(labels, minlength=n_clusters)
    # sum_{n: z_n = k} x_n, one feature at a time (bincount is fast and exact-order)
    sums = np.empty((n_clusters, X.shape[1]))
    for j in range(X.shape[1]):
        sums[:, j] = np.bincount(labels, weights=X[:, j], minlength=n_clusters)
    empty = counts == 0
    centers = sums / np.maximum(counts, 1)[:, None]
    if empty.any():
        centers = _relocate_empty(X, labels, centers, np.flatnonzero(empty))
    return centers


def _relocate_empty(X, labels, centers, empty):
    """Move each empty cluster's centre to the worst-explained points (see above)."""
    warnings.warn(
        f"{empty.size} cluster(s) became empty; their centres were moved to the "
        "points farthest from their own cluster's centre",
        DegenerateWarning,
        stacklevel=4,
    )
    d2 = np.einsum("nd,nd->n", X - centers[labels], X - centers[labels])
    # farthest points first; a stable sort makes ties deterministic (lowest index)
    order = np.argsort(-d2, kind="stable")
    centers = centers.copy()
    centers[empty] = X[order[: empty.size]]
    return centers


def kmeans_objective(X, centers, labels):
    """The k-means objective :math:`J`, the sum of squared distances to assigned centres.

    .. math::

        J(\\mu, z) = \\sum_{n=1}^{N} \\lVert x_n - \\mu_{z_n} \\rVert^2

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    centers : array_like, shape (n_clusters, n_features)
    labels : array_like of int, shape (n_samples,)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> kmeans_objective(np.array([[0.0], [2.0]]), np.array([[1.0]]), np.array([0, 0]))
    2.0
    """
    X = check_data(X)
    centers = _check_centers_like(centers, X)
    labels = check_labels(labels, X.shape[0], centers.shape[0])
    e = _scaling.data_exponent(X, centers)  # extreme magnitudes: rescale exactly
    if e:
        J = _objective(_scaling.scale(X, e), _scaling.scale(centers, e), labels)
        return _scaling.unscale_float(J, 2 * e)
    return _objective(X, centers, labels)


def _objective(X, centers, labels):
    diff = X - centers[labels]
    return float(np.einsum("nd,nd->", diff, diff))


def kmeans_plusplus(X, n_clusters, *, seed=None):
    """k-means++ seeding (D\\ :sup:`2` sampling) of Arthur and Vassilvitskii.

    The first centre is a uniformly random data point; each further centre is
    a data point drawn with probability proportional to its squared distance
    to the nearest centre chosen so far,

    .. math::

        P(x_n) = \\frac{D(x_n)^2}{\\sum_m D(x_m)^2},
        \\qquad D(x) = \\min_{j} \\lVert x - c_j \\rVert .

    In expectation the seeding alone is within :math:`8(\\ln K + 2)` of the
    optimal :math:`J` :cite:`arthur2007kmeanspp`.  If every remaining point
    coincides with a chosen centre (fewer distinct points than clusters), the
    next centre is drawn uniformly among the points not yet chosen.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    n_clusters : int
        Number of centres :math:`K`, between 1 and ``n_samples``.
    seed : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    centers : ndarray, shape (n_clusters, n_features)
        Rows of ``X``.

    References
    ----------
    D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful
    seeding", SODA 2007.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0]])
    >>> kmeans_plusplus(X, 2, seed=0).shape
    (2, 2)
    """
    X = check_data(X)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    rng = check_seed(seed)
    e = _scaling.data_exponent(X)  # extreme magnitudes: D^2 sampling on exactly rescaled data
    return X[_kmeans_plusplus_indices(_scaling.scale(X, e) if e else X, n_clusters, rng)].copy()


def _kmeans_plusplus_indices(X, n_clusters, rng):
    n = X.shape[0]
    chosen = np.empty(n_clusters, dtype=np.intp)
    chosen[0] = rng.integers(n)
    closest = _squared_distances(X, X[chosen[:1]])[:, 0]
    for k in range(1, n_clusters):
        total = closest.sum()
        if total > 0:
            # D^2 sampling: P(x_n) proportional to min_j ||x_n - c_j||^2
            u = rng.random() * total
            idx = int(np.searchsorted(np.cumsum(closest), u, side="right"))
            idx = min(idx, n - 1)
            while closest[idx] == 0:  # guard against a zero-weight landing
                idx -= 1
        else:
            # fewer distinct points than clusters: centres will coincide
            warnings.warn(
                f"X has fewer distinct points than n_clusters={n_clusters}; the "
                f"remaining {n_clusters - k} centre(s) duplicate chosen ones",
                DegenerateWarning,
                stacklevel=3,
            )
            remaining = np.setdiff1d(np.arange(n), chosen[:k])
            idx = int(rng.choice(remaining))
        chosen[k] = idx
        np.minimum(closest, _squared_distances(X, X[idx : idx + 1])[:, 0], out=closest)
    return chosen


def _initial_centers(X, n_clusters, init, rng):
    """Initial centres from an ``init`` string or array (shared with the mixtures)."""
    if isinstance(init, str):
        init = check_choice(init, KMEANS_INITS, "init")
        if init == "k-means++":
            return X[_kmeans_plusplus_indices(X, n_clusters, rng)].copy()
        # "random": K distinct data points, uniformly without replacement
        return X[rng.choice(X.shape[0], size=n_clusters, replace=False)].copy()
    return check_centers(init, n_clusters, X.shape[1], "init")


def kmeans(X, n_clusters, *, init="k-means++", max_iter=300, seed=None):
    """k-means by Lloyd's algorithm.

    Starting from initial centres :math:`\\mu^{(0)}` with labels
    :math:`z^{(0)} = \\operatorname{assign}(\\mu^{(0)})`, iteration
    :math:`t = 1, 2, \\dots` performs

    .. math::

        \\mu^{(t)} = \\operatorname{update}(z^{(t-1)}),
        \\qquad z^{(t)} = \\operatorname{assign}(\\mu^{(t)}),

    and stops when :math:`z^{(t)} = z^{(t-1)}` (converged) or after
    ``max_iter`` iterations.  :math:`J` never increases along the way
    :cite:`lloyd1982,selim1984`.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Data points.
    n_clusters : int
        Number of clusters :math:`K`, between 1 and ``n_samples``.
    init : {"k-means++", "random"} or array_like, shape (n_clusters, n_features)
        ``"k-means++"``: :func:`kmeans_plusplus`; ``"random"``: ``K`` distinct
        data points chosen uniformly; an array: the initial centres.
    max_iter : int, default 300
        Maximum number of iterations; with ``max_iter=0`` the initial centres
        are returned with their labels.
    seed : None, int or numpy.random.Generator
        Source of randomness for the initialisation.

    Returns
    -------
    KMeansResult

    Warns
    -----
    ConvergenceWarning
        If ``max_iter >= 1`` iterations did not reach a fixed point.
    DegenerateWarning
        If a cluster became empty (see :func:`update_centers`) or ``X`` has
        fewer distinct points than ``n_clusters``.

    Notes
    -----
    **Degenerate data.** With fewer distinct points than clusters some
    initial centres coincide; ties go to the lowest index, so the duplicates'
    clusters are empty and :func:`update_centers` keeps them on data points.
    With ``init="k-means++"`` every distinct point becomes a centre and
    :math:`J = 0`; the result never contains NaN.  **Extreme magnitudes.** Data whose largest absolute
    value is beyond about :math:`10^{\\pm 30}` are fitted as ``X / 2**e`` and
    the results scaled back; scaling by a power of two is exact, so the
    iterates are those of the unscaled fit but the squared distances cannot
    overflow or underflow.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> result = kmeans(X, 2, seed=0)
    >>> sorted(result.centers[:, 0].tolist()), result.objective, result.converged
    ([0.0, 10.0], 1.0, True)
    """
    X = check_data(X)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    rng = check_seed(seed)
    e = _scaling.data_exponent(X)  # extreme magnitudes: fit X / 2**e exactly, scale back
    if e:
        X = _scaling.scale(X, e)
    centers = _initial_centers(X, n_clusters, init, rng)
    if e and not isinstance(init, str):
        centers = _scaling.scale(centers, e)
    # companion/_fast.py computes the same iterates as _lloyd (the plain loop
    # over the two steps, below) with Hamerly's bounds in row blocks
    from . import _fast

    loop = _fast.lloyd if _fast.ENABLED else _lloyd
    return _scaling.unscale_kmeans_result(loop(X, centers, max_iter), e)


def _lloyd(X, centers, max_iter):
    x_sq = np.einsum("nd,nd->n", X, X)
    labels = _assign(X, centers, x_sq)
    objectives = [_objective(X, centers, labels)]
    history_centers = [centers]
    n_changed = [X.shape[0]]
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        centers = _update_centers(X, labels, centers.shape[0])  # mu_k = mean of cluster k
        new_labels = _assign(X, centers, x_sq)  # z_n = argmin_k ||x_n - mu_k||^2
        changed = int(np.count_nonzero(new_labels != labels))
        labels = new_labels
        objectives.append(_objective(X, centers, labels))
        history_centers.append(centers)
        n_changed.append(changed)
        if changed == 0:
            converged = True
            break
    return _lloyd_result(
        centers, labels, objectives, history_centers, n_changed, n_iter, converged, max_iter, stacklevel=3
    )


def _lloyd_result(centers, labels, objectives, history_centers, n_changed, n_iter, converged, max_iter, stacklevel):
    """Warn if Lloyd stopped at ``max_iter``, and assemble the result (shared by every Lloyd loop).

    ``stacklevel`` is counted from the loop that calls this helper.
    """
    if max_iter > 0 and not converged:
        warnings.warn(
            f"k-means did not converge in max_iter={max_iter} iterations "
            f"({n_changed[-1]} labels still changing); increase max_iter",
            ConvergenceWarning,
            stacklevel=stacklevel + 1,
        )
    history = KMeansHistory(
        objective=np.array(objectives),
        centers=np.stack(history_centers),
        n_changed=np.array(n_changed),
    )
    return KMeansResult(
        centers=centers,
        labels=labels,
        objective=objectives[-1],
        n_iter=n_iter,
        converged=converged,
        history=history,
    )


def _check_centers_like(centers, X, name="centers"):
    centers = check_data(centers, name)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"{name} must have {X.shape[1]} features like X; got shape {centers.shape}"
        )
    return centers
