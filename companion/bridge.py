"""The isotropic bridge between Gaussian mixtures and k-means.

This module fits exactly the model the blog post has in mind: ``K``
components with equal weights :math:`1/K` and one fixed covariance
:math:`\\sigma^2 I`; only the means are learned.  Its EM ("soft k-means") has
responsibilities that are a softmax of scaled squared distances
(the book's ``{eq}`eq-l2-soft-responsibilities```),

.. math::

    r_{nk} = \\frac{\\exp\\bigl(-\\lVert x_n-\\mu_k\\rVert^2 / 2\\sigma^2\\bigr)}
                  {\\sum_j \\exp\\bigl(-\\lVert x_n-\\mu_j\\rVert^2 / 2\\sigma^2\\bigr)},

and as :math:`\\sigma \\to 0` they become the one-hot nearest-centre
assignments of k-means, so the EM iterates become Lloyd's iterates.

:func:`classification_log_likelihood` is the exact (no limit) link: for this
model, :math:`-2\\sigma^2` times the classification log-likelihood is
:math:`J` plus a constant :cite:`celeux1992cem`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (
    DegenerateWarning,
    check_data,
    check_int,
    check_labels,
    check_n_clusters,
    check_real,
    check_seed,
    warn,
)
from . import _scaling
from .kmeans import _check_centers_like, _initial_centers
from .mixture import em
from .numerics import LOG_2PI, _squared_distances

__all__ = [
    "SoftKMeansHistory",
    "SoftKMeansResult",
    "soft_responsibilities",
    "soft_kmeans",
    "isotropic_log_likelihood",
    "classification_log_likelihood",
]

_SIGMA_REMEDY = "Use kmeans for the sigma -> 0 limit; sigma must lie in (0, inf)."


def _over_two_sigma_sq(q, sigma, e=0):
    """``q * 4**e / (2 sigma^2)`` for ``q >= 0``, with no 0/0, inf/inf or spurious overflow.

    ``sigma = m 2**s`` with ``m`` in [0.5, 1) (``frexp``): divide by ``m`` twice
    (exact range) and apply the powers of two with ``ldexp``, which rounds once
    and overflows to ``inf`` or underflows to ``0`` only when the true value
    does.  For ordinary values it equals ``(q / sigma) / (2 sigma)`` bit for bit.
    """
    m, s = np.frexp(sigma)
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp((q / m) / (2.0 * m), 2 * (e - int(s)))


def _scaled_log_terms(X, means, sigma, e=0):
    """a_nk = -||x_n - mu_k||^2 / (2 sigma^2), shifted so that each row's max is 0.

    Returns the shifted matrix and the per-row shift -min_k ||x_n - mu_k||^2 / (2 sigma^2).
    The shift is applied to the *distances* before dividing by sigma^2, so the
    nearest centre always gets exactly 0 and no 0/0 or inf - inf can occur for
    any sigma in (0, inf).  ``X`` and ``means`` may be given divided by ``2**e``
    (see :mod:`._scaling`); the result is in the units of the unscaled data.
    """
    D2 = _squared_distances(X, means)
    d2_min = D2.min(axis=1)
    a = -_over_two_sigma_sq(D2 - d2_min[:, None], sigma, e)
    shift = -_over_two_sigma_sq(d2_min, sigma, e)
    return a, shift


def _soft_e_step(X, means, sigma, e=0):
    """Responsibilities and the mixture log-likelihood for weights 1/K, covariance sigma^2 I.

    ``X`` and ``means`` may be given divided by ``2**e``; ``sigma`` and the
    log-likelihood are in the units of the unscaled data.
    """
    n, d = X.shape
    k = means.shape[0]
    a, shift = _scaled_log_terms(X, means, sigma, e)
    e = np.exp(a)  # the nearest centre contributes exp(0) = 1, so the sum is >= 1
    s = e.sum(axis=1)
    R = e / s[:, None]  # (eq-l2-soft-responsibilities)
    # log p(x_n) = -log K - (D/2) log(2 pi sigma^2) + shift_n + log sum_k exp(a_nk)
    ll = float(
        np.sum(shift + np.log(s)) - n * np.log(k) - 0.5 * n * d * (LOG_2PI + 2.0 * np.log(sigma))
    )
    return R, ll


def soft_responsibilities(X, means, sigma):
    """Responsibilities of the equal-weight, :math:`\\sigma^2 I` mixture.

    .. math::

        r_{nk} = \\operatorname{softmax}_k\\Bigl(-\\frac{\\lVert x_n-\\mu_k\\rVert^2}{2\\sigma^2}\\Bigr)

    Computed stably for any :math:`\\sigma\\in(0,\\infty)`: the smallest
    distance of each row is subtracted before scaling, so at tiny
    :math:`\\sigma` the rows are exactly one-hot (ties split evenly) and at huge
    :math:`\\sigma` exactly uniform.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    means : array_like, shape (n_clusters, n_features)
    sigma : float
        Standard deviation :math:`\\sigma > 0` of every component.

    Returns
    -------
    ndarray, shape (n_samples, n_clusters)

    Examples
    --------
    >>> import numpy as np
    >>> soft_responsibilities(np.array([[0.0], [1.0]]), np.array([[0.0], [2.0]]), 1e-3)
    array([[1. , 0. ],
           [0.5, 0.5]])
    """
    X = check_data(X)
    means = _check_centers_like(means, X, "means")
    sigma = check_real(sigma, "sigma", positive=True, remedy=_SIGMA_REMEDY)
    e = _scaling.data_exponent(X, means)  # extreme magnitudes: exact rescaling
    return _soft_e_step(_scaling.scale(X, e), _scaling.scale(means, e), sigma, e)[0]


def isotropic_log_likelihood(X, means, sigma):
    """Mixture log-likelihood with weights :math:`1/K` and covariances :math:`\\sigma^2 I`.

    .. math::

        \\log p(X) = \\sum_n \\log \\frac1K \\sum_k
        (2\\pi\\sigma^2)^{-D/2} \\exp\\Bigl(-\\frac{\\lVert x_n-\\mu_k\\rVert^2}{2\\sigma^2}\\Bigr)

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    means : array_like, shape (n_clusters, n_features)
    sigma : float

    Returns
    -------
    float

    Examples
    --------
    One component at the origin, :math:`\\sigma = 1`, points at 0 and 1:
    :math:`-\\log(2\\pi) - \\tfrac12`.

    >>> import numpy as np
    >>> ll = isotropic_log_likelihood(np.array([[0.0], [1.0]]), np.array([[0.0]]), 1.0)
    >>> bool(np.isclose(ll, -np.log(2 * np.pi) - 0.5))
    True
    """
    X = check_data(X)
    means = _check_centers_like(means, X, "means")
    sigma = check_real(sigma, "sigma", positive=True, remedy=_SIGMA_REMEDY)
    e = _scaling.data_exponent(X, means)  # extreme magnitudes: exact rescaling
    return _soft_e_step(_scaling.scale(X, e), _scaling.scale(means, e), sigma, e)[1]


def classification_log_likelihood(X, means, labels, sigma):
    """Classification log-likelihood of the equal-weight, :math:`\\sigma^2 I` mixture.

    With the labels :math:`z_n` treated as parameters,

    .. math::

        \\log L_C(\\mu, z) = \\sum_n \\log\\Bigl(\\tfrac1K\\,
        \\mathcal N(x_n\\mid\\mu_{z_n},\\sigma^2 I)\\Bigr)
        = -N\\log K - \\frac{ND}{2}\\log(2\\pi\\sigma^2) - \\frac{J(\\mu,z)}{2\\sigma^2},

    so maximising it over :math:`(\\mu, z)` is minimising the k-means
    objective :math:`J` :cite:`celeux1992cem`.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    means : array_like, shape (n_clusters, n_features)
    labels : array_like of int, shape (n_samples,)
    sigma : float

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> X, mu = np.array([[0.0], [2.0]]), np.array([[1.0]])
    >>> J = 2.0
    >>> bool(np.isclose(classification_log_likelihood(X, mu, [0, 0], 1.0),
    ...                 -np.log(2 * np.pi) - J / 2))
    True
    """
    X = check_data(X)
    means = _check_centers_like(means, X, "means")
    labels = check_labels(labels, X.shape[0], means.shape[0])
    sigma = check_real(sigma, "sigma", positive=True, remedy=_SIGMA_REMEDY)
    n, d = X.shape
    e = _scaling.data_exponent(X, means)  # extreme magnitudes: exact rescaling
    diff = _scaling.scale(X, e) - _scaling.scale(means, e)[labels]
    J = float(np.einsum("nd,nd->", diff, diff))  # J / 4**e
    # J / (2 sigma^2) without 0/0 at J = 0 or overflow of sigma^2
    return -n * np.log(means.shape[0]) - 0.5 * n * d * (
        LOG_2PI + 2 * np.log(sigma)
    ) - float(_over_two_sigma_sq(J, sigma, e))


@dataclass(frozen=True, eq=False)
class SoftKMeansHistory:
    """Per-iteration record of :func:`soft_kmeans`; entry 0 is the initialisation.

    Attributes
    ----------
    means : ndarray, shape (n_iter + 1, n_clusters, n_features)
    log_likelihood : ndarray, shape (n_iter + 1,)
        Mixture log-likelihood at each iterate's means.
    max_change : ndarray, shape (n_iter + 1,)
        Largest absolute change of a responsibility in each iteration
        (entry 0: ``nan``, nothing to compare with).
    """

    means: np.ndarray
    log_likelihood: np.ndarray
    max_change: np.ndarray


@dataclass(frozen=True, eq=False)
class SoftKMeansResult:
    """Result of :func:`soft_kmeans`.

    Attributes
    ----------
    means : ndarray, shape (n_clusters, n_features)
    responsibilities : ndarray, shape (n_samples, n_clusters)
        At the final means.
    labels : ndarray, shape (n_samples,)
        ``argmax_k`` of the responsibilities.
    log_likelihood : float
        Mixture log-likelihood at the final means.
    sigma : float
    n_iter : int
    converged : bool
        True when no responsibility changed by more than ``tol`` in an iteration.
    history : SoftKMeansHistory
    """

    means: np.ndarray
    responsibilities: np.ndarray
    labels: np.ndarray
    log_likelihood: float
    sigma: float
    n_iter: int
    converged: bool
    history: SoftKMeansHistory

    def predict_proba(self, X):
        """Responsibilities of new points under the fitted means, shape (N, K)."""
        return soft_responsibilities(X, self.means, self.sigma)

    def predict(self, X):
        """Nearest fitted mean for new points, shape (N,)."""
        return np.argmax(self.predict_proba(X), axis=1)


class SoftKMeansEngine:
    """The plain soft k-means engine, for the EM loop :func:`companion.mixture.em`.

    Its E-step is :func:`soft_responsibilities` (``eq-l2-soft-responsibilities``),
    its M-step moves each mean to the responsibility-weighted mean of the data
    (``eq-l2-soft-mstep``); a mean with no responsibility stays where it is,
    with a :class:`DegenerateWarning` (once per fit).
    """

    def __init__(self, X, sigma, e=0):
        self.X, self.sigma, self.e = X, sigma, e
        self.warned = False

    def e_step(self, means, final=False):
        self.means = means
        self.R, ll = _soft_e_step(self.X, means, self.sigma, self.e)
        return ll, self.R

    def m_step(self, R):
        Nk = R.sum(axis=0)  # N_k = sum_n r_nk   (eq-l2-soft-mstep)
        empty = Nk == 0
        if empty.any() and not self.warned:
            self.warned = True
            warn(
                f"{int(empty.sum())} cluster(s) have zero responsibility for every point "
                "(sigma is small against their distance to the data); they keep their "
                "previous means, where kmeans would relocate them",
                DegenerateWarning,
            )
        # mu_k = sum_n r_nk x_n / N_k   (eq-l2-soft-mstep); no responsibility: mu_k stays
        return np.where(Nk[:, None] > 0, (R.T @ self.X) / np.where(Nk > 0, Nk, 1.0)[:, None], self.means)

    def responsibilities(self):
        return self.R


class SoftKMeansFit:
    """Stopping rule and record of soft k-means, for :func:`companion.mixture.em`.

    It stops when no responsibility changed by more than ``tol``.
    """

    name = "soft_kmeans"

    def __init__(self, tol):
        self.tol = tol

    def params(self, means):
        return means

    def value(self, means, estep):
        return estep[1]  # the responsibilities

    def change(self, old, new):
        return float(np.max(np.abs(new - old)))  # largest change of a responsibility

    def done(self, change):
        return change <= self.tol

    def record(self, means, estep, value, change):
        return {"means": means, "log_likelihood": estep[0], "max_change": change}

    def not_converged(self, max_iter, change):
        return (f"soft_kmeans did not converge in max_iter={max_iter} iterations "
                f"(largest change of a responsibility {change:.3g} > tol={self.tol}); "
                "increase max_iter or tol")


def soft_kmeans(X, n_clusters, *, sigma, init="k-means++", max_iter=300, tol=0.0, seed=None):
    """EM for the equal-weight mixture with every covariance fixed at :math:`\\sigma^2 I`.

    Only the means are learned.  Iteration :math:`t` is

    .. math::

        r^{(t-1)}_{nk} = \\operatorname{softmax}_k
        \\Bigl(-\\frac{\\lVert x_n-\\mu^{(t-1)}_k\\rVert^2}{2\\sigma^2}\\Bigr),
        \\qquad
        \\mu^{(t)}_k = \\frac{\\sum_n r^{(t-1)}_{nk} x_n}{\\sum_n r^{(t-1)}_{nk}} .

    It stops when no responsibility changes by more than ``tol`` (so with
    ``tol=0`` and a small :math:`\\sigma` it stops exactly when k-means does),
    or after ``max_iter`` iterations.  From the same initial centres, with
    :math:`\\sigma` small enough that every row of responsibilities is
    one-hot, and as long as no cluster is empty, its iterates are those of
    :func:`kmeans`.  When a cluster empties, :func:`kmeans` relocates its
    centre while this function keeps it (in exact arithmetic the soft M-step
    would move it to the point whose squared distance to it exceeds its
    distance to its own centre by the least, the book's
    ``{eq}`eq-l2-empty-limit```).

    A cluster whose responsibilities are all zero (in floating point) keeps
    its previous mean, since there is nothing to average, and a
    :class:`DegenerateWarning` is emitted (once per fit).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    n_clusters : int
    sigma : float
        Standard deviation of every component, :math:`0 < \\sigma < \\infty`.
    init : {"k-means++", "random"} or array_like, shape (n_clusters, n_features)
    max_iter : int, default 300
    tol : float, default 0.0
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SoftKMeansResult

    Warns
    -----
    ConvergenceWarning
        If ``max_iter >= 1`` iterations did not meet the stopping rule.
    DegenerateWarning
        If a cluster's responsibilities are all zero and it keeps its mean.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> result = soft_kmeans(X, 2, sigma=0.01, init=np.array([[0.0], [10.0]]))
    >>> result.means.ravel().tolist(), result.n_iter, result.converged
    ([0.5, 10.5], 1, True)
    """
    X = check_data(X)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    sigma = check_real(sigma, "sigma", positive=True, remedy=_SIGMA_REMEDY)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    tol = check_real(tol, "tol", nonnegative=True)
    rng = check_seed(seed)
    # extreme magnitudes: iterate on X / 2**e (exact), means scaled back at the end
    e = _scaling.data_exponent(X)
    X = _scaling.scale(X, e) if e else X
    mu = _initial_centers(X, n_clusters, init, rng)
    if e and not isinstance(init, str):
        mu = _scaling.scale(mu, e)

    engine = SoftKMeansEngine(X, sigma, e)
    mu, ll, n_iter, converged, record = em(engine, mu, max_iter, SoftKMeansFit(tol))
    R = engine.responsibilities()
    h = record.arrays()
    history = SoftKMeansHistory(
        means=_scaling.unscale(h["means"], e), log_likelihood=h["log_likelihood"], max_change=h["max_change"]
    )
    return SoftKMeansResult(
        means=_scaling.unscale(mu, e),
        responsibilities=R,
        labels=np.argmax(R, axis=1),
        log_likelihood=ll,
        sigma=sigma,
        n_iter=n_iter,
        converged=converged,
        history=history,
    )
