"""Deterministic annealing: soft k-means over a decreasing sigma schedule.

At a large :math:`\\sigma` every responsibility is :math:`1/K` and every
mean of soft k-means sits at the data mean :math:`\\bar x`.  Lowering
:math:`\\sigma` slowly, warm-starting each fit from the previous means, the
means stay together until :math:`\\sigma^2` falls below :math:`\\rho(C)`,
the largest eigenvalue of the data covariance :math:`C` (divisor
:math:`N`), then split along its eigenvector, and split again at lower
:math:`\\sigma` until, as :math:`\\sigma\\to 0`, the iteration becomes
Lloyd's algorithm :cite:`rose1998,mackay2003`.

The critical value follows from linearising one soft k-means step about
the collapsed solution: a perturbation :math:`\\delta` of the means is
multiplied by :math:`C/\\sigma^2`, so the collapsed solution is stable
exactly while :math:`\\sigma^2 > \\rho(C)`: :math:`\\sigma_c^2 = \\rho(C)`.
In Rose's temperature, :math:`2\\sigma^2`, the critical value is
:math:`2\\rho(C)` :cite:`rose1990statistical,rose1998`.  (The book writes
:math:`\\rho(A)` for the largest eigenvalue of a symmetric matrix; no
:math:`\\lambda`, which is DP-means' penalty, and no :math:`T`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._record import Recorder
from ._validation import ConvergenceWarning, check_data, check_int, check_n_clusters, check_real, check_seed, warn
from .bridge import SoftKMeansEngine, SoftKMeansFit
from .engines import check_engine
from .kmeans import LLOYD_ENGINES, _objective, lloyd
from .mixture import em

__all__ = ["AnnealingResult", "anneal", "critical_sigma", "geometric_schedule"]

#: Iterations allowed to the final Lloyd run of :func:`anneal` (as :func:`~companion.kmeans`).
LLOYD_MAX_ITER = 300


@dataclass(frozen=True, eq=False)
class AnnealingHistory:
    """Per-step record of :func:`anneal`; entry 0 is the initialisation.

    Attributes
    ----------
    sigma : ndarray, shape (n_steps + 1,)
        :math:`\\sigma` of each step; entry 0 repeats the first (the initial
        means, all at the data mean, are the fixed point at every
        :math:`\\sigma` above the critical one).
    means : ndarray, shape (n_steps + 1, n_clusters, n_features)
        Means at the end of each step (entry 0: all at the data mean, before
        the first perturbation).
    n_iter : ndarray of int, shape (n_steps + 1,)
        Soft k-means iterations of each step (entry 0: 0).
    converged : ndarray of bool, shape (n_steps + 1,)
        Whether each step met its stopping rule before ``max_iter`` (entry 0: True).
    """

    sigma: np.ndarray
    means: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray


@dataclass(frozen=True, eq=False)
class AnnealingResult:
    """Result of :func:`anneal`.

    Attributes
    ----------
    sigmas : ndarray, shape (n_steps,)
        The schedule, decreasing.
    means : ndarray, shape (n_steps, n_clusters, n_features)
        Soft k-means means at the end of each step (warm-started from the previous).
    n_iter : ndarray of int, shape (n_steps,)
        Soft k-means iterations spent at each step.
    centers : ndarray, shape (n_clusters, n_features)
        Final centres: Lloyd's algorithm started from the last step's means.
    labels : ndarray, shape (n_samples,)
    objective : float
        The k-means objective :math:`J` of ``centers`` and ``labels``.
    converged : ndarray of bool, shape (n_steps,)
        Whether each step met its stopping rule; a step that stopped at
        ``max_iter`` left means that are not a soft k-means fixed point.
    history : AnnealingHistory
        The same per-step record with the initialisation as entry 0.
    lloyd_n_iter : int
        Iterations of the final Lloyd run (from the last step's means, at
        most ``LLOYD_MAX_ITER``); ``cp.kmeans(X, K, init=means[-1])``
        makes the same run.
    lloyd_converged : bool
        Whether the final Lloyd run reached a fixed point; when it did not,
        ``centers`` and ``labels`` are not one (a :class:`ConvergenceWarning`
        says so).
    """

    sigmas: np.ndarray
    means: np.ndarray
    n_iter: np.ndarray
    centers: np.ndarray
    labels: np.ndarray
    objective: float
    converged: np.ndarray = None
    history: AnnealingHistory = None
    lloyd_n_iter: int = None
    lloyd_converged: bool = None

    def n_distinct(self, atol=1e-3):
        """Number of distinct means at each step (means closer than ``atol`` count once)."""
        counts = []
        for mu in self.means:
            reps = []
            for m in mu:
                if not any(np.linalg.norm(m - r) <= atol for r in reps):
                    reps.append(m)
            counts.append(len(reps))
        return np.array(counts)


def critical_sigma(X):
    """:math:`\\sigma_c = \\sqrt{\\rho(C)}`, the largest :math:`\\sigma` at which the collapsed solution splits.

    :math:`\\sigma_c^2 = \\rho(C)`, the largest eigenvalue of the covariance
    :math:`C` of ``X`` with divisor :math:`N` (not :math:`N - 1`); in Rose's
    temperature :math:`2\\sigma^2` the critical value is :math:`2\\rho(C)`
    :cite:`rose1990statistical,rose1998`.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> float(critical_sigma(X))  # variance along x is 18/4
    2.1213203435596424
    """
    X = check_data(X)
    C = np.cov(X.T, bias=True).reshape(X.shape[1], X.shape[1])
    return float(np.sqrt(np.linalg.eigvalsh(C)[-1]))


def geometric_schedule(sigma_max, sigma_min, n_steps):
    """``n_steps`` values of :math:`\\sigma` from ``sigma_max`` down to ``sigma_min``, evenly spaced in log scale.

    A schedule for :func:`anneal`: each :math:`\\sigma` is the previous one
    times the same factor :math:`(\\sigma_{\\min}/\\sigma_{\\max})^{1/(n-1)}`.

    Parameters
    ----------
    sigma_max, sigma_min : float
        The first and the last value, positive, ``sigma_min <= sigma_max``.
    n_steps : int
        Number of values, at least 1 (one step gives ``[sigma_max]``).

    Returns
    -------
    ndarray, shape (n_steps,)

    Examples
    --------
    >>> geometric_schedule(4.0, 0.5, 4).tolist()
    [4.0, 2.0, 1.0, 0.5]
    """
    sigma_max = check_real(sigma_max, "sigma_max", positive=True)
    sigma_min = check_real(sigma_min, "sigma_min", positive=True)
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    if sigma_min > sigma_max:
        raise ValueError(f"sigma_min ({sigma_min}) must not exceed sigma_max ({sigma_max})")
    return np.geomspace(sigma_max, sigma_min, n_steps)


def anneal(X, n_clusters, *, sigmas, perturbation=1e-4, max_iter=500, tol=1e-9, engine="auto", seed=None):
    """Soft k-means warm-started along a decreasing schedule of :math:`\\sigma`, then Lloyd.

    All means start at the data mean.  At each :math:`\\sigma` in ``sigmas``
    the previous means get a tiny random perturbation (of relative size
    ``perturbation``; without it the symmetric solution is a fixed point and
    the means could never separate) and soft k-means runs to its stopping
    rule.
    A final Lloyd run from the last means gives hard centres (its iterations
    and convergence are ``lloyd_n_iter`` and ``lloyd_converged``).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    n_clusters : int
    sigmas : array_like, shape (n_steps,)
        Decreasing positive values of :math:`\\sigma`.
    perturbation : float, default 1e-4
        Scale of the initial symmetry-breaking noise, relative to the data's
        largest standard deviation.
    max_iter : int, default 500
        Maximum soft k-means iterations per step.
    tol : float, default 1e-9
        Stopping rule per step: largest change of a responsibility.
    engine : {"auto", "plain", "blocked"}, default "auto"
        Engine of the final Lloyd run (see :func:`~companion.kmeans`); the
        soft k-means steps always run on the plain engine (their stopping
        rule needs every responsibility).
    seed : None, int or numpy.random.Generator

    Returns
    -------
    AnnealingResult

    Warns
    -----
    ConvergenceWarning
        If some steps stopped at ``max_iter`` (the message says which); their
        means, and what is read from them, are not converged.  Also, like
        every k-means fit, if the final Lloyd run did not reach a fixed point
        in ``LLOYD_MAX_ITER`` iterations (``lloyd_converged`` is then
        False).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.2], [5.0], [5.2]])
    >>> r = anneal(X, 2, sigmas=np.geomspace(10, 0.05, 30), seed=0)
    >>> np.round(np.sort(r.centers.ravel()), 6).tolist()
    [0.1, 5.1]
    """
    X = check_data(X)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if sigmas.ndim != 1 or sigmas.size == 0:
        raise ValueError(f"sigmas must be a non-empty 1-D sequence; got shape {sigmas.shape}")
    if not np.all(np.isfinite(sigmas)) or np.any(sigmas <= 0):
        raise ValueError("sigmas must be positive and finite")
    if np.any(np.diff(sigmas) > 0):
        raise ValueError("sigmas must be non-increasing (annealing lowers sigma)")
    perturbation = check_real(perturbation, "perturbation", nonnegative=True)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_real(tol, "tol", nonnegative=True)
    rng = check_seed(seed)

    make_engine = LLOYD_ENGINES[check_engine(engine)]

    scale = float(np.sqrt(np.max(np.var(X, axis=0)))) or 1.0
    mu = np.repeat(X.mean(axis=0, keepdims=True), n_clusters, axis=0)
    record = Recorder(sigma=sigmas[0], means=mu, n_iter=0, converged=True)
    fit = SoftKMeansFit(tol)
    for sigma in sigmas:
        # re-break the symmetry at every step: above the critical sigma the
        # perturbation dies out again, below it it grows into a split
        mu = mu + perturbation * scale * rng.standard_normal(mu.shape)
        mu, _, n_iter, converged, _ = em(SoftKMeansEngine(X, sigma), mu, max_iter, fit, quiet=True)
        record.append(sigma=sigma, means=mu, n_iter=n_iter, converged=converged)
    h = record.arrays()
    stuck = np.flatnonzero(~h["converged"][1:])
    if stuck.size:
        warn(
            f"{stuck.size} of {sigmas.size} annealing steps stopped at max_iter={max_iter} "
            f"before their stopping rule held (the first at step {stuck[0]}, sigma = "
            f"{sigmas[stuck[0]]:.4g}); their means are not converged. Increase max_iter "
            "or tol, or use a finer schedule",
            ConvergenceWarning,
        )
    # the final Lloyd run: its iterations and convergence are recorded, and it
    # warns like every k-means fit when it stops at LLOYD_MAX_ITER
    final = lloyd(make_engine(X, n_clusters), mu, LLOYD_MAX_ITER)
    return AnnealingResult(
        sigmas=sigmas.copy(),
        means=h["means"][1:],
        n_iter=h["n_iter"][1:],
        centers=final.centers,
        labels=final.labels,
        objective=_objective(X, final.centers, final.labels),
        converged=h["converged"][1:],
        history=AnnealingHistory(**h),
        lloyd_n_iter=final.n_iter,
        lloyd_converged=final.converged,
    )
