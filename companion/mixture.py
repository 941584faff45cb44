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

**Spurious maximisers.** Because the likelihood is unbounded, the fit with
the highest likelihood among restarts can be a component sitting on a few
points, or on points that share a coordinate (data recorded on a grid), with
its variance at :math:`\\epsilon` along some direction.
:func:`degenerate_components` detects such components; :func:`gmm` with
``n_init > 1`` keeps the best start that has none, and a conjugate prior
(``prior="default"``, MAP-EM of Fraley and Raftery 2007,
:func:`~companion.default_prior`) removes the unboundedness itself.

The regulariser also changes what the M-step maximises: adding
:math:`\\epsilon I` to the maximiser of the expected complete-data
log-likelihood is not the maximiser of anything EM's monotonicity theorem
covers, so with ``reg_covar > 0`` the log-likelihood can decrease slightly
from one iteration to the next (by :math:`O(\\epsilon^2)` per component near
a well-posed fit); with ``reg_covar=0`` it never decreases.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

from ._moments import SCATTER_LAYOUT, gaussian_parameters, weighted_moments
from ._record import Recorder
from ._validation import (
    ConvergenceWarning,
    DegenerateWarning,
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
from .gaussians import (
    COVARIANCE_TYPES,
    DEGENERATE_TOL,
    GMMParams,
    _check_params,
    _check_X_like,
    _degeneracy,
    _e_step,
    _weighted_log_prob,
)
from .kmeans import LLOYD_ENGINES, _assign, _initial_centers, best_of_runs, check_n_init, lloyd
from .numerics import logsumexp
from .priors import ConjugatePrior, default_prior, log_prior

__all__ = [
    "COVARIANCE_TYPES",
    "GMMParams",
    "GMMHistory",
    "GMMResult",
    "e_step",
    "m_step",
    "log_likelihood",
    "expected_complete_log_likelihood",
    "degenerate_components",
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
    penalised_log_likelihood : ndarray, shape (n_iter + 1,)
        :math:`\\log p(X\\mid\\theta^{(t)}) + t\\log p(\\theta^{(t)})` with a
        conjugate prior (up to a constant, see :func:`~companion.log_prior`);
        MAP-EM increases it at every iteration.  Equal to ``log_likelihood``
        without a prior.
    means : ndarray, shape (n_iter + 1, n_components, n_features)
    weights : ndarray, shape (n_iter + 1, n_components)
    covariances : ndarray, shape (n_iter + 1, ...)
        Covariances in the layout of the covariance type.
    """

    log_likelihood: np.ndarray
    penalised_log_likelihood: np.ndarray
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
    penalised_log_likelihood : float
        :math:`L(\\theta) + t\\log p(\\theta)` with a conjugate ``prior`` (what
        MAP-EM maximises, up to a constant), else equal to ``log_likelihood``.
    prior : ConjugatePrior or None
        The prior of MAP-EM, in the units of ``X``.
    reg_covar : float or None
        The :math:`\\epsilon` added to every covariance's diagonal.
    degenerate : ndarray of bool, shape (n_components,), or None
        Which components are degenerate (see :func:`degenerate_components`);
        None when the fit did not check (:func:`~companion.gmm_dask`).
    degenerate_reasons : tuple of str, or None
        Why, per component (``""`` for a component that is not degenerate).
    log_likelihoods_per_init : ndarray, shape (n_init,)
        The final (penalised, with a prior) log-likelihood of every run, in
        the order they were made.
    degenerate_per_init : ndarray of bool, shape (n_init,)
        Whether each run ended degenerate.  The result is the run with the
        highest value among the runs that are not (the first on ties), or
        among all runs when every run is degenerate (``skip_degenerate=True``).
    """

    params: GMMParams
    log_likelihood: float
    n_iter: int
    converged: bool
    history: GMMHistory
    responsibilities: np.ndarray
    labels: np.ndarray
    penalised_log_likelihood: float = None
    prior: ConjugatePrior = None
    reg_covar: float = None
    degenerate: np.ndarray = None
    degenerate_reasons: tuple = None
    log_likelihoods_per_init: np.ndarray = None
    degenerate_per_init: np.ndarray = None

    def __post_init__(self):
        if self.penalised_log_likelihood is None:
            object.__setattr__(self, "penalised_log_likelihood", self.log_likelihood)
        if self.log_likelihoods_per_init is None:
            object.__setattr__(self, "log_likelihoods_per_init", np.array([self.penalised_log_likelihood]))
        if self.degenerate_per_init is None:
            object.__setattr__(self, "degenerate_per_init", np.array([self.is_degenerate]))

    @property
    def is_degenerate(self):
        """True when some component is degenerate (False when not checked)."""
        return bool(self.degenerate is not None and np.any(self.degenerate))

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

    Notes
    -----
    The Mahalanobis terms of ``tied``, ``diag`` and ``spherical`` are
    expanded (one matrix product for all components); every row whose
    terms that matter may err by more than 1e-10 through that expansion
    (clusters far apart compared with their spreads, say) is recomputed
    from :math:`x_n - \\mu_k`, as ``full`` always is, so the
    responsibilities are within about 2e-10 of those the differences give,
    also for clusters far apart compared with their spreads
    (``companion.numerics.log_gaussian_matrix``).

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


def m_step(X, responsibilities, covariance_type="full", reg_covar=1e-6, *, prior=None):
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
    prior : ConjugatePrior, optional
        The M-step of MAP-EM under this prior instead (see
        ``companion._moments.gaussian_parameters`` for the formulas).

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
    prior = _check_prior(prior, X, X.shape[1])
    e = _scaling.clamp_for_regulariser(_scaling.data_exponent(X), reg_covar)
    if e:  # extreme magnitudes: exact power-of-two rescaling
        reg = float(_scaling.scale(reg_covar, 2 * e))
        prior = prior.in_fit_units(0.0, 2.0**-e) if prior is not None else None
        return _scaling.unscale_gmm_params(_m_step(_scaling.scale(X, e), R, covariance_type, reg, prior), e)
    return _m_step(X, R, covariance_type, reg_covar, prior)


def _m_step(X, R, covariance_type, reg_covar, prior=None):
    # N_k, m_k and the centred scatter W_k in two passes, then the shared map
    # to (pi, mu, Sigma)   (eq-gmm-mstep-weights, eq-gmm-mstep-mean, eq-gmm-mstep-cov)
    moments = weighted_moments(X, R, SCATTER_LAYOUT[covariance_type])
    return GMMParams(*gaussian_parameters(moments, covariance_type, reg_covar, prior), covariance_type)


def _check_prior(prior, X, n_components):
    """``prior`` as a ConjugatePrior for ``X`` (None stays None; "default": :func:`default_prior`)."""
    if prior is None or isinstance(prior, ConjugatePrior):
        if prior is not None and prior.n_features != X.shape[1]:
            raise ValueError(
                f"prior must have {X.shape[1]} features like X; got a prior with {prior.n_features}"
            )
        return prior
    if isinstance(prior, str):
        check_choice(prior, ("default",), "prior")
        if X.shape[0] < 2:
            raise ValueError("prior='default' needs at least 2 samples (it uses the data's covariance)")
        return default_prior(X, n_components)
    raise TypeError(
        f"prior must be None, 'default' or a ConjugatePrior (see companion.default_prior); "
        f"got {type(prior).__name__}"
    )


def degenerate_components(X, result, *, tol=DEGENERATE_TOL, reg_covar=None):
    """Which components of a fitted mixture are degenerate, and why.

    A component is **degenerate** when

    1. its effective size :math:`N_k = \\sum_n r_{nk}` is at most :math:`D`
       for ``full``, 1 for ``diag`` and ``spherical``; never for ``tied``
       (its covariance is shared).  Its covariance is then estimated from no
       more weight than :math:`D` points (or one) carry.  For hard
       assignments that is too few: :math:`D` points span at most a
       :math:`(D-1)`-dimensional affine subspace, one point has no spread.
       With soft responsibilities the estimate need not be singular
       (:math:`r_{nk} = 0.03` on 50 points in general position gives
       :math:`N_k = 1.5`), so this rule is a heuristic; or
    2. its covariance without the regulariser, :math:`\\Sigma_k - \\epsilon I`,
       has a direction :math:`v` along which its variance is below ``tol``
       times the data's own variance along :math:`v`:

       .. math::

           \\min_{v \\ne 0} \\frac{v^\\top(\\Sigma_k - \\epsilon I)v}{v^\\top C v}
           = \\gamma_{\\min}\\bigl(C^{-1/2}(\\Sigma_k - \\epsilon I)C^{-1/2}\\bigr) < \\text{tol},

       with :math:`C` the covariance of ``X``.  Such a component sits on a
       lower-dimensional set (points that share a coordinate, as values
       recorded in whole minutes do, or fewer than :math:`D+1` affinely
       independent points): without :math:`\\epsilon` its covariance would be
       singular and the likelihood unbounded, so its likelihood measures the
       regulariser, not the data.

    The ratio is invariant to affine changes of the units of ``X`` (for
    ``full`` and ``tied``; to rescaling the axes for ``diag``), which the
    comparison with the largest variance of the component itself (the
    reciprocal condition number with which mclust rejects near-singular fits)
    is not.  With ties the data part is zero to rounding (about
    :math:`10^{-16}` of the data's variance) while honest clusters sit many
    orders of magnitude above ``tol`` = ``DEGENERATE_TOL`` =
    :math:`10^{-8}` (a standard deviation :math:`10^{-4}` times the data's):
    any threshold in between separates them.  A fit with a conjugate prior is
    not degenerate in the second sense (its covariance is at least the prior
    scale divided by :math:`N_k` plus a constant).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data the mixture was fitted to.
    result : GMMResult or GMMParams
        For a GMMParams the responsibilities come from an E-step on ``X``.
    tol : float, default 1e-8
    reg_covar : float, optional
        The :math:`\\epsilon` the covariances contain; default
        ``result.reg_covar``, or 1e-6 (the default of :func:`gmm` without a
        prior) for a GMMParams.

    Returns
    -------
    degenerate : ndarray of bool, shape (n_components,)
    reasons : tuple of str
        ``""`` for a component that is not degenerate.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), [[5.0, 5.0]] * 4])  # 4 tied points
    >>> R = np.zeros((104, 2)); R[:100, 0] = 1; R[100:, 1] = 1
    >>> flags, reasons = degenerate_components(X, m_step(X, R, "full"))
    >>> flags.tolist()
    [False, True]
    """
    if isinstance(result, GMMResult):
        params, R, reg = result.params, result.responsibilities, result.reg_covar
    elif isinstance(result, GMMParams):
        params, R, reg = result, None, None
    else:
        raise TypeError(f"result must be a GMMResult or GMMParams; got {type(result).__name__}")
    X = _check_X_like(X, params)
    tol = check_real(tol, "tol", nonnegative=True)
    if R is None or getattr(R, "shape", None) != (X.shape[0], params.n_components):
        R = _e_step(X, params)[0]
    if reg_covar is not None:
        reg = check_real(reg_covar, "reg_covar", nonnegative=True)
    reg = 1e-6 if reg is None else reg
    return _degeneracy(params, R.sum(axis=0), reg, _data_covariance(X), tol)


def _data_covariance(X):
    """The (biased) covariance of the rows of X, shape (D, D)."""
    Xc = X - X.mean(axis=0)
    return (Xc.T @ Xc) / X.shape[0]


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

    Examples
    --------
    One-hot responsibilities: four points, two unit-variance components of
    weight 1/2 at 0 and 10, squared distances 0, 1, 1, 1:

    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [9.0], [11.0]])
    >>> p = GMMParams([0.5, 0.5], [[0.0], [10.0]], [1.0, 1.0], "spherical")
    >>> R = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> Q = expected_complete_log_likelihood(X, R, p)
    >>> bool(np.isclose(Q, 4 * np.log(0.5) - 2 * np.log(2 * np.pi) - 1.5))
    True
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


def _initial_params(X, n_components, init, covariance_type, reg_covar, rng, engine="auto", prior=None):
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
    # one M-step (with the prior, if any) from hard responsibilities
    R = np.zeros((X.shape[0], n_components))
    R[np.arange(X.shape[0]), labels] = 1.0
    return _m_step(X, R, covariance_type, reg_covar, prior)


def gmm(
    X,
    n_components,
    *,
    covariance_type="full",
    init="k-means++",
    n_init=1,
    max_iter=100,
    tol=1e-6,
    reg_covar=None,
    prior=None,
    skip_degenerate=True,
    engine="auto",
    seed=None,
):
    """Fit a Gaussian mixture by EM (or MAP-EM with a conjugate prior).

    Iteration :math:`t` is an E-step at :math:`\\theta^{(t-1)}` followed by an
    M-step giving :math:`\\theta^{(t)}`.  With ``reg_covar=0`` the
    log-likelihood never decreases along the way :cite:`dempster1977em`; with
    a positive regulariser it can dip slightly (see the module docstring).  The fit stops when the average
    log-likelihood per sample changes by less than ``tol`` (the criterion
    scikit-learn uses), or after ``max_iter`` iterations; with ``tol=0`` it
    performs exactly ``max_iter`` iterations.

    With a ``prior`` the M-step is that of MAP-EM (Fraley and Raftery 2007,
    :func:`~companion.default_prior`): EM then increases the penalised log-likelihood
    :math:`L(\\theta) + \\log p(\\theta)` (recorded in
    ``history.penalised_log_likelihood``; with ``reg_covar=0``, the default
    with a prior, it never decreases) and the stopping rule applies to it.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        float64, or float32 (and other real dtypes) as produced, converted
        exactly to float64.
    n_components : int
        Number of components :math:`K`, between 1 and ``n_samples``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    init : {"k-means++", "random", "kmeans"} or GMMParams, default "k-means++"
        Centres from :func:`kmeans_plusplus` (``"k-means++"``), ``K`` distinct
        data points (``"random"``) or a full k-means run (``"kmeans"``); every
        point is then given to its nearest centre and one M-step yields
        :math:`\\theta^{(0)}`.  A :class:`GMMParams` is used as it is.
    n_init : int, default 1
        Number of runs from different initialisations; the result is the run
        with the highest (penalised) log-likelihood among the runs that are
        not degenerate (:func:`degenerate_components`).  Every run's value
        and degeneracy are kept (``log_likelihoods_per_init``,
        ``degenerate_per_init``).  Must be 1 when ``init`` is a GMMParams.
    max_iter : int, default 100
    tol : float, default 1e-6
        Threshold on the change of the per-sample (penalised) log-likelihood.
    reg_covar : float, optional
        Added to every covariance's diagonal in the M-step (see module docs);
        default ``1e-6``, or ``0`` with a ``prior`` (the prior regularises).
    prior : None, "default" or ConjugatePrior, default None
        ``"default"``: :func:`~companion.default_prior` of ``X`` and
        ``n_components`` (mclust's default prior).
    skip_degenerate : bool, default True
        With ``n_init > 1``, prefer runs that are not degenerate; when every
        run is, keep the best one and warn with a :class:`DegenerateWarning`.
        With ``False`` the best run by likelihood is kept whatever it is.
    engine : {"auto", "plain", "blocked"}, default "auto"
        How the E- and M-steps are computed (``companion.engines``):
        ``"plain"`` calls :func:`e_step` and :func:`m_step`; ``"blocked"``
        (what ``"auto"`` picks) fuses the E-step with the M-step's statistics
        over row blocks on threads, and hands over to the plain engine, from
        the current iterate, if the data are too extreme for it.  The same
        engine runs the k-means of ``init="kmeans"``.
    seed : None, int or numpy.random.Generator
        With ``n_init > 1`` every run gets its own stream spawned from
        ``seed``, as in :func:`~companion.kmeans`.

    Returns
    -------
    GMMResult
        With ``degenerate`` and ``degenerate_reasons`` filled in.

    Warns
    -----
    ConvergenceWarning
        If ``tol > 0`` and ``max_iter`` iterations were not enough.
    DegenerateWarning
        If ``n_init > 1``, ``skip_degenerate`` is true and every run ended
        degenerate (a single run reports it in ``degenerate`` only).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(8, 1, (100, 2))])
    >>> result = gmm(X, 2, covariance_type="spherical", seed=0)
    >>> np.round(np.sort(result.weights), 2).tolist(), result.converged
    ([0.5, 0.5], True)
    >>> best = gmm(X, 2, n_init=3, prior="default", seed=0)
    >>> best.log_likelihoods_per_init.shape, best.is_degenerate
    ((3,), False)
    """
    X = check_data(X)
    n_components = check_n_clusters(n_components, X.shape[0], "n_components")
    covariance_type = check_choice(covariance_type, COVARIANCE_TYPES, "covariance_type")
    n_init = check_n_init(n_init, init, what="a GMMParams", remedy="'k-means++', 'random' or 'kmeans'")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    tol = check_real(tol, "tol", nonnegative=True)
    prior = _check_prior(prior, X, n_components)
    if reg_covar is None:
        reg_covar = 0.0 if prior is not None else 1e-6
    reg_covar = check_real(reg_covar, "reg_covar", nonnegative=True)
    engine = check_engine(engine)
    rng = check_seed(seed)
    n, d = X.shape
    data_prior, data_reg = prior, reg_covar
    # extreme magnitudes: fit X / 2**e (exact, same iterates) with reg_covar / 4**e;
    # far from the origin: fit X - mean; the result is taken back to the units of X
    e = _scaling.clamp_for_regulariser(_scaling.data_exponent(X), reg_covar)
    if e:
        X, reg_covar = _scaling.scale(X, e), float(_scaling.scale(reg_covar, 2 * e))
    c = _scaling.data_offset(X)
    X = X - c if c is not None else X
    if isinstance(init, GMMParams):
        init = _scaling.scale_gmm_params(init, e, c)
    if prior is not None and (e or c is not None):
        prior = prior.in_fit_units(0.0 if c is None else c, 2.0**-e)
    data_cov = _data_covariance(X)  # for the degeneracy check (invariant to the units)
    make = EM_ENGINES[engine]

    def run(stream):
        params = _initial_params(X, n_components, init, covariance_type, reg_covar, stream, engine, prior)
        fit = make(X, covariance_type, n_components, reg_covar, prior)
        if make is not PlainEM:  # declined steps continue on the plain engine
            fit = _Fallback(fit, lambda: PlainEM(X, covariance_type, n_components, reg_covar, prior))
        if n_init == 1:
            result = fit_mixture(fit, params, max_iter, tol, n, prior)
        else:  # one ConvergenceWarning at most, for the run that is kept (below)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                result = fit_mixture(fit, params, max_iter, tol, n, prior)
        flags, reasons = _degeneracy(
            result.params, result.responsibilities.sum(axis=0), reg_covar, data_cov, DEGENERATE_TOL
        )
        return dataclasses.replace(result, degenerate=flags, degenerate_reasons=reasons, reg_covar=reg_covar)

    degenerate_runs = []

    def score(result):  # lowest first: minus the (penalised) log-likelihood
        degenerate_runs.append(result.is_degenerate)
        return -result.penalised_log_likelihood

    reject = (lambda r: r.is_degenerate) if skip_degenerate else None
    result, scores, _ = best_of_runs(run, n_init, rng, score, reject)
    result = dataclasses.replace(
        result, log_likelihoods_per_init=-scores, degenerate_per_init=np.array(degenerate_runs)
    )
    if n_init > 1 and not result.converged and max_iter > 0 and tol > 0:
        warn(
            f"EM did not converge in max_iter={max_iter} iterations for the best of the "
            f"{n_init} runs (last change of the per-sample log-likelihood "
            f"{np.diff(result.history.penalised_log_likelihood[-2:])[0] / n:.3g} >= tol={tol}); "
            "increase max_iter or tol",
            ConvergenceWarning,
        )
    result = _scaling.unscale_gmm_result(result, e, n, d, c)
    result = _to_data_units(result, data_prior, data_reg)
    if skip_degenerate and n_init > 1 and result.is_degenerate:
        which = int(np.flatnonzero(result.degenerate)[0])
        warn(
            f"every one of the {n_init} run(s) ended degenerate; component {which}: "
            f"{result.degenerate_reasons[which]}. This is a spurious maximiser of the "
            "likelihood, not a cluster: use prior='default', fewer components or another "
            "covariance_type",
            DegenerateWarning,
        )
    return result


def _to_data_units(result, prior, reg_covar):
    """The prior, regulariser and penalised log-likelihoods of ``result`` in the units of X.

    Under a change of units the log-likelihood and the log-prior change by
    constants (their log-determinant terms), the same for every iterate and
    every run, so one shift serves the history and every run's value.
    """
    params = result.params  # already in the units of X
    penalised = result.log_likelihood + log_prior(prior, params.means, params.covariances,
                                                  params.covariance_type)
    shift = penalised - result.penalised_log_likelihood  # 0 when the units did not change
    history = dataclasses.replace(
        result.history, penalised_log_likelihood=result.history.penalised_log_likelihood + shift
    )
    return dataclasses.replace(
        result,
        prior=prior,
        reg_covar=reg_covar,
        penalised_log_likelihood=float(penalised),
        log_likelihoods_per_init=result.log_likelihoods_per_init + shift,
        history=history,
    )


def fit_mixture(engine, params, max_iter, tol, n_samples, prior=None):
    """:func:`em` from ``params`` with ``engine``, as a :class:`GMMResult` (shared by gmm and gmm_dask)."""
    fit = MixtureFit(params.covariance_type, tol, n_samples, prior)
    params, ll, n_iter, converged, record = em(engine, params, max_iter, fit)
    R = engine.responsibilities()
    history = record.build(GMMHistory)
    return GMMResult(
        params=params,
        log_likelihood=ll,
        n_iter=n_iter,
        converged=converged,
        history=history,
        responsibilities=R,
        labels=R.argmax(axis=1),
        penalised_log_likelihood=float(history.penalised_log_likelihood[-1]),
        prior=prior,
    )


class PlainEM:
    """The plain EM engine: the book's :func:`e_step` and :func:`m_step`.

    Every EM engine offers the calls :func:`em` makes: ``e_step(params,
    final)`` returns the log-likelihood at ``params`` and what the M-step
    needs (here the responsibilities; ``final`` says no M-step will follow);
    ``m_step(statistics)`` returns (weights, means, covariances) arrays;
    ``responsibilities()`` those of the last E-step's parameters.  The
    ``prior`` (MAP-EM) only changes the M-step.
    """

    def __init__(self, X, covariance_type, n_components, reg_covar, prior=None):
        self.X, self.ctype, self.reg_covar, self.prior = X, covariance_type, reg_covar, prior

    def e_step(self, params, final=False):
        self.R, ll = _e_step(self.X, params)
        return ll, self.R

    def m_step(self, R):
        moments = weighted_moments(self.X, R, SCATTER_LAYOUT[self.ctype])
        return gaussian_parameters(moments, self.ctype, self.reg_covar, self.prior)

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
    """What :func:`em` needs to know about a Gaussian-mixture fit: parameters, stopping rule, record.

    The value the loop tracks is the log-likelihood, plus
    :func:`~companion.log_prior` with a conjugate prior (MAP-EM).
    """

    name = "EM"

    def __init__(self, covariance_type, tol, n_samples, prior=None):
        self.ctype, self.tol, self.n, self.prior = covariance_type, tol, n_samples, prior

    def params(self, arrays):
        return GMMParams._from_m_step(*arrays, self.ctype)

    def value(self, params, estep):
        # L(theta) + t log p(theta): MAP-EM never decreases it (with reg_covar = 0)
        return estep[0] + log_prior(self.prior, params.means, params.covariances, self.ctype)

    def change(self, old, new):
        return (new - old) / self.n  # change of the per-sample (penalised) log-likelihood

    def done(self, change):
        return abs(change) < self.tol

    def record(self, params, estep, value, change):
        return {"log_likelihood": estep[0], "penalised_log_likelihood": value, "means": params.means,
                "weights": params.weights, "covariances": params.covariances}

    def not_converged(self, max_iter, change):
        if self.tol > 0:
            return (f"EM did not converge in max_iter={max_iter} iterations (last change of "
                    f"the per-sample log-likelihood {change:.3g} >= tol={self.tol}); increase "
                    "max_iter or tol")
        return None


def em(engine, params, max_iter, fit, *, quiet=False):
    """EM from ``params``: the only EM loop of the package.

    Iteration :math:`t` is an M-step from the E-step at :math:`\\theta^{(t-1)}`,
    then the E-step at :math:`\\theta^{(t)}`, whose value (the log-likelihood,
    penalised by the log-prior for MAP-EM; the responsibilities for soft
    k-means) the stopping rule compares with the previous one.  Every EM fit
    runs this loop (:func:`gmm`, :func:`~companion.soft_kmeans` and the steps
    of :func:`~companion.anneal`, :func:`~companion.gmm_dask`); the
    ``engine`` computes the steps (see :class:`PlainEM`), ``fit`` says what
    the parameters are, what value to track, when to stop and what to record
    (see :class:`MixtureFit`).

    Returns ``(params, log_likelihood, n_iter, converged, record)``; warns
    with a :class:`ConvergenceWarning` at ``max_iter`` unless ``quiet``.
    """
    ll, stats = estep = engine.e_step(params, max_iter == 0)  # E-step at theta^(0)
    value = fit.value(params, estep)
    record = Recorder(**fit.record(params, estep, value, np.nan))
    converged, n_iter, change = False, 0, np.nan
    for n_iter in range(1, max_iter + 1):
        params = fit.params(engine.m_step(stats))  # M-step: theta^(t) from the statistics
        estep = engine.e_step(params, n_iter == max_iter)  # E-step at theta^(t)
        new_value = fit.value(params, estep)
        change = fit.change(value, new_value)
        (ll, stats), value = estep, new_value
        record.append(**fit.record(params, estep, value, change))
        if fit.done(change):
            converged = True
            break
    message = None if converged or max_iter == 0 or quiet else fit.not_converged(max_iter, change)
    if message:
        warn(message, ConvergenceWarning)
    return params, ll, n_iter, converged, record
