"""Gaussian mixtures fitted by expectation-maximisation (EM).

The model (the book's ``{eq}`eq-gmm-density```) is

.. math::

    p(x \\mid \\theta) = \\sum_{k=1}^{K} \\pi_k\\, \\mathcal{N}(x \\mid \\mu_k, \\Sigma_k),

with weights :math:`\\pi_k \\ge 0` summing to one.  One EM iteration is one
E-step (:func:`e_step`: responsibilities
:math:`r_{nk} \\propto \\pi_k \\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)`, computed
with log-sum-exp) followed by one M-step (:func:`m_step`: weighted means and
covariances).  Covariances come in scikit-learn's four shapes:

============  ==========================  =====================================
type          ``covariances`` shape        meaning
============  ==========================  =====================================
``full``      (K, D, D)                    any ellipsoid per component
``tied``      (D, D)                       one ellipsoid shared by all
``diag``      (K, D)                       axis-aligned ellipsoid per component
``spherical`` (K,)                         :math:`\\sigma_k^2 I` per component
============  ==========================  =====================================

**Regulariser.** The M-step adds ``reg_covar`` to the diagonal of every
covariance (:math:`\\Sigma_k + \\epsilon I`), exactly as scikit-learn does, so
that a component that collapses onto a few points keeps a positive-definite
covariance and the likelihood stays bounded: every density is at most
:math:`(2\\pi\\epsilon)^{-D/2}`.  With ``reg_covar=0`` nothing bounds it: a
component that collapses onto fewer than :math:`D+1` affinely independent
points has a singular covariance, which raises a ``ValueError`` naming the
remedy when its Cholesky factor fails (``full``, ``tied``) or a variance is
exactly zero.  Rounding can instead leave a tiny positive variance (typical
for ``diag`` and ``spherical``), in which case the fit proceeds towards the
singularity with a huge likelihood; the convergence chapter shows both.

The regulariser also changes what the M-step maximises: adding
:math:`\\epsilon I` to the maximiser of the expected complete-data
log-likelihood is not the maximiser of anything EM's monotonicity theorem
covers, so with ``reg_covar > 0`` the log-likelihood can decrease slightly
from one iteration to the next (by :math:`O(\\epsilon^2)` per component near
a well-posed fit); with ``reg_covar=0`` it never decreases.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._moments import SCATTER_LAYOUT, gaussian_parameters, weighted_moments
from ._record import Recorder
from ._validation import (
    ConvergenceWarning,
    check_choice,
    check_data,
    check_gmm_arrays,
    check_int,
    check_n_clusters,
    check_real,
    check_responsibilities,
    check_seed,
    warn,
)
from . import _scaling
from .engines import BlockedEM, EngineDeclined, check_engine
from .gaussians import COVARIANCE_TYPES, GMMParams, _check_params, _check_X_like, _e_step, _weighted_log_prob
from .kmeans import LLOYD_ENGINES, _assign, _initial_centers, lloyd
from .numerics import logsumexp

__all__ = [
    "COVARIANCE_TYPES",
    "GMMParams",
    "GMMHistory",
    "GMMResult",
    "e_step",
    "m_step",
    "log_likelihood",
    "expected_complete_log_likelihood",
    "gmm",
    "em",
]

GMM_INITS = ("k-means++", "random", "kmeans")


@dataclass(frozen=True, eq=False)
class GMMHistory:
    """Per-iteration record of an EM fit; entry 0 is the initialisation.

    Attributes
    ----------
    log_likelihood : ndarray, shape (n_iter + 1,)
        :math:`\\log p(X\\mid\\theta^{(t)})` summed over samples.
    means : ndarray, shape (n_iter + 1, n_components, n_features)
    weights : ndarray, shape (n_iter + 1, n_components)
    covariances : ndarray, shape (n_iter + 1, ...)
        Covariances in the layout of the covariance type.
    """

    log_likelihood: np.ndarray
    means: np.ndarray
    weights: np.ndarray
    covariances: np.ndarray


@dataclass(frozen=True, eq=False)
class GMMResult:
    """Result of :func:`gmm`.

    Attributes
    ----------
    params : GMMParams
        Final parameters; ``weights``, ``means``, ``covariances`` and
        ``covariance_type`` are also available directly on the result.
    log_likelihood : float
        :math:`\\sum_n \\log p(x_n\\mid\\theta)` at the final parameters.
    n_iter : int
        Number of EM iterations (E-step + M-step).
    converged : bool
        True when the per-sample log-likelihood changed by less than ``tol``.
    history : GMMHistory
    responsibilities : ndarray, shape (n_samples, n_components)
        From an E-step at the final parameters.
    labels : ndarray, shape (n_samples,)
        ``argmax_k`` of the responsibilities.
    """

    params: GMMParams
    log_likelihood: float
    n_iter: int
    converged: bool
    history: GMMHistory
    responsibilities: np.ndarray
    labels: np.ndarray

    @property
    def weights(self):
        return self.params.weights

    @property
    def means(self):
        return self.params.means

    @property
    def covariances(self):
        return self.params.covariances

    @property
    def covariance_type(self):
        return self.params.covariance_type

    @property
    def n_components(self):
        return self.params.n_components

    def predict(self, X):
        """Most responsible component for new points, shape (N,)."""
        return self.params.predict(X)

    def predict_proba(self, X):
        """Responsibilities of new points, shape (N, K)."""
        return self.params.predict_proba(X)

    def score_samples(self, X):
        """Per-point log-density, shape (N,)."""
        return self.params.score_samples(X)

    def sample(self, n_samples, *, seed=None):
        """Draw points from the fitted mixture; see :meth:`GMMParams.sample`."""
        return self.params.sample(n_samples, seed=seed)


def e_step(X, params):
    """E-step: responsibilities and the log-likelihood at ``params``.

    .. math::

        r_{nk} = \\frac{\\pi_k \\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)}
                      {\\sum_j \\pi_j \\mathcal N(x_n\\mid\\mu_j,\\Sigma_j)}
               = \\exp\\bigl(a_{nk} - \\operatorname{logsumexp}_j a_{nj}\\bigr),
        \\qquad a_{nk} = \\log\\pi_k + \\log\\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    params : GMMParams

    Returns
    -------
    responsibilities : ndarray, shape (n_samples, n_components)
        Rows sum to one.
    log_likelihood : float
        :math:`\\sum_n \\operatorname{logsumexp}_k a_{nk} = \\log p(X\\mid\\theta)`.

    Examples
    --------
    >>> import numpy as np
    >>> p = GMMParams([0.5, 0.5], [[0.0], [4.0]], [1.0, 1.0], "spherical")
    >>> R, ll = e_step(np.array([[2.0]]), p)
    >>> R
    array([[0.5, 0.5]])
    """
    params = _check_params(params)
    X = _check_X_like(X, params)
    return _e_step(X, params)


def m_step(X, responsibilities, covariance_type="full", reg_covar=1e-6):
    """M-step: the parameters that maximise the expected complete-data log-likelihood.

    With :math:`N_k = \\sum_n r_{nk}`:

    .. math::

        \\pi_k = \\frac{N_k}{N}, \\qquad
        \\mu_k = \\frac{1}{N_k}\\sum_n r_{nk} x_n, \\qquad
        \\Sigma_k = \\frac{1}{N_k}\\sum_n r_{nk}(x_n-\\mu_k)(x_n-\\mu_k)^\\top + \\epsilon I

    ``tied`` averages the :math:`\\Sigma_k` with weights :math:`N_k/N`,
    ``diag`` keeps their diagonals, ``spherical`` the mean of each diagonal.
    :math:`\\epsilon` is ``reg_covar``.  As in scikit-learn, every
    :math:`N_k` is increased by :math:`10\\,\\varepsilon_{\\mathrm{mach}}` so a
    component with no responsibility keeps a finite mean (the data mean).
    The scatter is computed about each :math:`\\mu_k` (two passes), so data
    far from the origin lose no digits.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    responsibilities : array_like, shape (n_samples, n_components)
        Non-negative, rows summing to one.
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default 1e-6
        Non-negative amount added to every covariance's diagonal.

    Returns
    -------
    GMMParams

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [2.0], [10.0], [12.0]])
    >>> R = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> p = m_step(X, R, "spherical", reg_covar=0.0)
    >>> np.round(p.means.ravel(), 9).tolist(), np.round(p.covariances, 9).tolist()
    ([1.0, 11.0], [1.0, 1.0])
    """
    X = check_data(X)
    R = check_responsibilities(responsibilities, X.shape[0])
    covariance_type = check_choice(covariance_type, COVARIANCE_TYPES, "covariance_type")
    reg_covar = check_real(reg_covar, "reg_covar", nonnegative=True)
    e = _scaling.clamp_for_regulariser(_scaling.data_exponent(X), reg_covar)
    if e:  # extreme magnitudes: exact power-of-two rescaling
        reg = float(_scaling.scale(reg_covar, 2 * e))
        return _scaling.unscale_gmm_params(_m_step(_scaling.scale(X, e), R, covariance_type, reg), e)
    return _m_step(X, R, covariance_type, reg_covar)


def _m_step(X, R, covariance_type, reg_covar):
    # N_k, m_k and the centred scatter W_k in two passes, then the shared map
    # to (pi, mu, Sigma)   (eq-gmm-mstep-weights, eq-gmm-mstep-mean, eq-gmm-mstep-cov)
    moments = weighted_moments(X, R, SCATTER_LAYOUT[covariance_type])
    return GMMParams(*gaussian_parameters(moments, covariance_type, reg_covar), covariance_type)


def log_likelihood(X, params):
    """Total log-likelihood :math:`\\log p(X\\mid\\theta) = \\sum_n \\log \\sum_k \\pi_k \\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)`.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    params : GMMParams

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> p = GMMParams([1.0], [[0.0]], [1.0], "spherical")
    >>> round(log_likelihood(np.array([[0.0]]), p), 6)
    -0.918939
    """
    params = _check_params(params)
    X = _check_X_like(X, params)
    return float(np.sum(logsumexp(_weighted_log_prob(X, params), axis=1)))


def expected_complete_log_likelihood(X, responsibilities, params):
    """The EM auxiliary function :math:`Q`: the complete-data log-likelihood averaged over ``responsibilities``.

    .. math::

        Q(\\theta) = \\sum_{n}\\sum_{k} r_{nk}
        \\bigl[\\log\\pi_k + \\log\\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)\\bigr]

    With one-hot responsibilities this is the classification log-likelihood.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    responsibilities : array_like, shape (n_samples, n_components)
    params : GMMParams

    Returns
    -------
    float
    """
    params = _check_params(params)
    X = _check_X_like(X, params)
    R = check_responsibilities(responsibilities, X.shape[0])
    if R.shape[1] != params.n_components:
        raise ValueError(
            f"responsibilities must have {params.n_components} columns; got shape {R.shape}"
        )
    a = _weighted_log_prob(X, params)
    # 0 * log(0) counts as 0: a zero responsibility ignores an impossible component
    return float(np.sum(np.where(R > 0, R * np.where(R > 0, a, 0.0), 0.0)))


def _initial_params(X, n_components, init, covariance_type, reg_covar, rng, engine="auto"):
    if isinstance(init, GMMParams):
        if init.n_features != X.shape[1] or init.n_components != n_components:
            raise ValueError(
                f"init must have {n_components} components and {X.shape[1]} features; "
                f"got {init.n_components} and {init.n_features}"
            )
        if init.covariance_type != covariance_type:
            raise ValueError(
                f"init.covariance_type ({init.covariance_type!r}) differs from "
                f"covariance_type ({covariance_type!r})"
            )
        return init
    if not isinstance(init, str):
        raise TypeError(
            "init must be 'k-means++', 'random', 'kmeans' or a GMMParams; "
            f"got {type(init).__name__}"
        )
    init = check_choice(init, GMM_INITS, "init")
    if init == "kmeans":
        centers = _initial_centers(X, n_components, "k-means++", rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = lloyd(LLOYD_ENGINES[engine](X, n_components), centers, 300).labels
    else:
        centers = _initial_centers(X, n_components, init, rng)
        labels = _assign(X, centers)
    # one M-step from hard responsibilities (each point to its nearest centre)
    R = np.zeros((X.shape[0], n_components))
    R[np.arange(X.shape[0]), labels] = 1.0
    return _m_step(X, R, covariance_type, reg_covar)


def gmm(
    X,
    n_components,
    *,
    covariance_type="full",
    init="k-means++",
    max_iter=100,
    tol=1e-6,
    reg_covar=1e-6,
    engine="auto",
    seed=None,
):
    """Fit a Gaussian mixture by EM.

    Iteration :math:`t` is an E-step at :math:`\\theta^{(t-1)}` followed by an
    M-step giving :math:`\\theta^{(t)}`.  With ``reg_covar=0`` the
    log-likelihood never decreases along the way :cite:`dempster1977em`; with
    a positive regulariser it can dip slightly (see the module docstring).  The fit stops when the average
    log-likelihood per sample changes by less than ``tol`` (the criterion
    scikit-learn uses), or after ``max_iter`` iterations; with ``tol=0`` it
    performs exactly ``max_iter`` iterations.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    n_components : int
        Number of components :math:`K`, between 1 and ``n_samples``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    init : {"k-means++", "random", "kmeans"} or GMMParams, default "k-means++"
        Centres from :func:`kmeans_plusplus` (``"k-means++"``), ``K`` distinct
        data points (``"random"``) or a full k-means run (``"kmeans"``); every
        point is then given to its nearest centre and one M-step yields
        :math:`\\theta^{(0)}`.  A :class:`GMMParams` is used as it is.
    max_iter : int, default 100
    tol : float, default 1e-6
        Threshold on the change of the per-sample log-likelihood.
    reg_covar : float, default 1e-6
        Added to every covariance's diagonal in the M-step (see module docs).
    engine : {"auto", "plain", "blocked"}, default "auto"
        How the E- and M-steps are computed (:mod:`companion.engines`):
        ``"plain"`` calls :func:`e_step` and :func:`m_step`; ``"blocked"``
        (what ``"auto"`` picks) fuses the E-step with the M-step's statistics
        over row blocks on threads, and hands over to the plain engine, from
        the current iterate, if the data are too extreme for it.  The same
        engine runs the k-means of ``init="kmeans"``.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    GMMResult

    Warns
    -----
    ConvergenceWarning
        If ``tol > 0`` and ``max_iter`` iterations were not enough.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(8, 1, (100, 2))])
    >>> result = gmm(X, 2, covariance_type="spherical", seed=0)
    >>> np.round(np.sort(result.weights), 2).tolist(), result.converged
    ([0.5, 0.5], True)
    """
    X = check_data(X)
    n_components = check_n_clusters(n_components, X.shape[0], "n_components")
    covariance_type = check_choice(covariance_type, COVARIANCE_TYPES, "covariance_type")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    tol = check_real(tol, "tol", nonnegative=True)
    reg_covar = check_real(reg_covar, "reg_covar", nonnegative=True)
    engine = check_engine(engine)
    rng = check_seed(seed)
    n, d = X.shape
    # extreme magnitudes: fit X / 2**e (exact, same iterates) with reg_covar / 4**e;
    # far from the origin: fit X - mean; the result is taken back to the units of X
    e = _scaling.clamp_for_regulariser(_scaling.data_exponent(X), reg_covar)
    if e:
        X, reg_covar = _scaling.scale(X, e), float(_scaling.scale(reg_covar, 2 * e))
    c = _scaling.data_offset(X)
    X = X - c if c is not None else X
    if isinstance(init, GMMParams):
        init = _scaling.scale_gmm_params(init, e, c)
    params = _initial_params(X, n_components, init, covariance_type, reg_covar, rng, engine)
    make = EM_ENGINES[engine]
    fit = make(X, covariance_type, n_components, reg_covar)
    if make is not PlainEM:  # declined steps continue on the plain engine
        fit = _Fallback(fit, lambda: PlainEM(X, covariance_type, n_components, reg_covar))
    result = fit_mixture(fit, params, max_iter, tol, n)
    return _scaling.unscale_gmm_result(result, e, n, d, c)


def fit_mixture(engine, params, max_iter, tol, n_samples):
    """:func:`em` from ``params`` with ``engine``, as a :class:`GMMResult` (shared by gmm and gmm_dask)."""
    fit = MixtureFit(params.covariance_type, tol, n_samples)
    params, ll, n_iter, converged, record = em(engine, params, max_iter, fit)
    R = engine.responsibilities()
    return GMMResult(
        params=params,
        log_likelihood=ll,
        n_iter=n_iter,
        converged=converged,
        history=record.build(GMMHistory),
        responsibilities=R,
        labels=R.argmax(axis=1),
    )


class PlainEM:
    """The plain EM engine: the book's :func:`e_step` and :func:`m_step`.

    Every EM engine offers the calls :func:`em` makes: ``e_step(params,
    final)`` returns the log-likelihood at ``params`` and what the M-step
    needs (here the responsibilities; ``final`` says no M-step will follow);
    ``m_step(statistics)`` returns (weights, means, covariances) arrays;
    ``responsibilities()`` those of the last E-step's parameters.
    """

    def __init__(self, X, covariance_type, n_components, reg_covar):
        self.X, self.ctype, self.reg_covar = X, covariance_type, reg_covar

    def e_step(self, params, final=False):
        self.R, ll = _e_step(self.X, params)
        return ll, self.R

    def m_step(self, R):
        moments = weighted_moments(self.X, R, SCATTER_LAYOUT[self.ctype])
        return gaussian_parameters(moments, self.ctype, self.reg_covar)

    def responsibilities(self):
        return self.R


#: The engines of :func:`gmm` by name (see :mod:`companion.engines`).
EM_ENGINES = {"plain": PlainEM, "blocked": BlockedEM, "auto": BlockedEM}


class _Fallback:
    """An engine that continues on the plain engine, from the current iterate, when it declines a step."""

    def __init__(self, engine, plain):
        self.engine, self.plain = engine, plain

    def e_step(self, params, final=False):
        try:
            return self.engine.e_step(params, final)
        except EngineDeclined:
            self.engine = self.plain()
            return self.engine.e_step(params, final)

    def m_step(self, statistics):
        return self.engine.m_step(statistics)

    def responsibilities(self):
        return self.engine.responsibilities()


class MixtureFit:
    """What :func:`em` needs to know about a Gaussian-mixture fit: parameters, stopping rule, record."""

    name = "EM"

    def __init__(self, covariance_type, tol, n_samples):
        self.ctype, self.tol, self.n = covariance_type, tol, n_samples

    def params(self, arrays):
        return GMMParams(*arrays, self.ctype)

    def change(self, old, new):
        return (new[0] - old[0]) / self.n  # change of the per-sample log-likelihood

    def done(self, change):
        return abs(change) < self.tol

    def record(self, params, estep, change):
        return {"log_likelihood": estep[0], "means": params.means, "weights": params.weights,
                "covariances": params.covariances}

    def not_converged(self, max_iter, change):
        if self.tol > 0:
            return (f"EM did not converge in max_iter={max_iter} iterations (last change of "
                    f"the per-sample log-likelihood {change:.3g} >= tol={self.tol}); increase "
                    "max_iter or tol")
        return None


def em(engine, params, max_iter, fit, *, quiet=False):
    """EM from ``params``: the only EM loop of the package.

    Iteration :math:`t` is an M-step from the E-step at :math:`\\theta^{(t-1)}`,
    then the E-step at :math:`\\theta^{(t)}`, whose log-likelihood the
    stopping rule compares with the previous one.  Every EM fit runs this
    loop (:func:`gmm`, :func:`~companion.soft_kmeans` and the steps of
    :func:`~companion.anneal`, :func:`~companion.gmm_dask`); the ``engine``
    computes the steps (see :class:`PlainEM`), ``fit`` says what the
    parameters are, when to stop and what to record (see :class:`MixtureFit`).

    Returns ``(params, log_likelihood, n_iter, converged, record)``; warns
    with a :class:`ConvergenceWarning` at ``max_iter`` unless ``quiet``.
    """
    ll, stats = estep = engine.e_step(params, max_iter == 0)  # E-step at theta^(0)
    record = Recorder(**fit.record(params, estep, np.nan))
    converged, n_iter, change = False, 0, np.nan
    for n_iter in range(1, max_iter + 1):
        params = fit.params(engine.m_step(stats))  # M-step: theta^(t) from the statistics
        new = engine.e_step(params, n_iter == max_iter)  # E-step at theta^(t)
        change = fit.change(estep, new)
        estep, (ll, stats) = new, new
        record.append(**fit.record(params, estep, change))
        if fit.done(change):
            converged = True
            break
    message = None if converged or max_iter == 0 or quiet else fit.not_converged(max_iter, change)
    if message:
        warn(message, ConvergenceWarning)
    return params, ll, n_iter, converged, record


