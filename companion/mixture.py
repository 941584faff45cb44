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
)
from . import _scaling
from .kmeans import _assign, _initial_centers, _lloyd
from .numerics import log_gaussian_matrix, logsumexp, precision_cholesky

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
    "n_parameters",
    "bic",
    "aic",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
GMM_INITS = ("k-means++", "random", "kmeans")


@dataclass(frozen=True, eq=False)
class GMMParams:
    """The parameters :math:`\\theta = (\\pi, \\mu, \\Sigma)` of a Gaussian mixture.

    Parameters
    ----------
    weights : array_like, shape (n_components,)
        Mixing weights :math:`\\pi_k`, non-negative and summing to one.
    means : array_like, shape (n_components, n_features)
        Component means :math:`\\mu_k`.
    covariances : array_like
        :math:`\\Sigma_k` in the layout of ``covariance_type``: full (K, D, D),
        tied (D, D), diag (K, D), spherical (K,).
    covariance_type : {"full", "tied", "diag", "spherical"}

    Examples
    --------
    >>> import numpy as np
    >>> p = GMMParams([0.5, 0.5], [[0.0], [4.0]], [1.0, 1.0], "spherical")
    >>> p.n_components, p.n_features
    (2, 1)
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "full"

    def __post_init__(self):
        ctype = check_choice(self.covariance_type, COVARIANCE_TYPES, "covariance_type")
        # shapes, finiteness, weights summing to one, symmetry/positivity (new arrays)
        weights, means, covs = check_gmm_arrays(
            self.weights, self.means, self.covariances, ctype
        )
        for arr in (weights, means, covs):
            arr.setflags(write=False)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covariances", covs)
        # validates positive definiteness once, with a remedy in the message
        object.__setattr__(self, "_prec_chol", precision_cholesky(covs, ctype))

    @property
    def n_components(self):
        """Number of components :math:`K`."""
        return self.means.shape[0]

    @property
    def n_features(self):
        """Dimension :math:`D`."""
        return self.means.shape[1]

    def full_covariances(self):
        """Every :math:`\\Sigma_k` as a (D, D) matrix, shape (K, D, D)."""
        k, d = self.means.shape
        c = self.covariances
        if self.covariance_type == "full":
            return c.copy()
        if self.covariance_type == "tied":
            return np.broadcast_to(c, (k, d, d)).copy()
        if self.covariance_type == "diag":
            return np.stack([np.diag(row) for row in c])
        return c[:, None, None] * np.eye(d)[None]

    def log_prob_components(self, X):
        """:math:`\\log\\pi_k + \\log\\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)`, shape (N, K)."""
        X = _check_X_like(X, self)
        return _weighted_log_prob(X, self)

    def predict_proba(self, X):
        """Responsibilities :math:`r_{nk}` of new points, shape (N, K)."""
        return e_step(X, self)[0]

    def predict(self, X):
        """Most responsible component for each new point, shape (N,)."""
        return np.argmax(self.predict_proba(X), axis=1)

    def score_samples(self, X):
        """Per-point log-density :math:`\\log p(x_n\\mid\\theta)`, shape (N,)."""
        X = _check_X_like(X, self)
        return logsumexp(_weighted_log_prob(X, self), axis=1)

    def sample(self, n_samples, *, seed=None):
        """Draw ``n_samples`` points and their component labels.

        Returns
        -------
        X : ndarray, shape (n_samples, n_features)
        labels : ndarray, shape (n_samples,)

        Examples
        --------
        >>> p = GMMParams([0.5, 0.5], [[0.0], [4.0]], [1.0, 1.0], "spherical")
        >>> X, labels = p.sample(5, seed=0)
        >>> X.shape, labels.shape
        ((5, 1), (5,))
        """
        n_samples = check_int(n_samples, "n_samples", minimum=0)
        rng = check_seed(seed)
        labels = rng.choice(self.n_components, size=n_samples, p=self.weights)
        L = np.linalg.cholesky(self.full_covariances())
        z = rng.standard_normal((n_samples, self.n_features))
        X = self.means[labels] + np.einsum("nij,nj->ni", L[labels], z)
        return X, labels


def _weighted_log_prob(X, params):
    """log pi_k + log N(x_n | mu_k, Sigma_k), shape (N, K)."""
    with np.errstate(divide="ignore"):
        log_pi = np.log(params.weights)
    return (
        log_gaussian_matrix(X, params.means, params._prec_chol, params.covariance_type)
        + log_pi[None, :]
    )


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


def _check_X_like(X, params):
    X = check_data(X)
    if X.shape[1] != params.n_features:
        raise ValueError(
            f"X must have {params.n_features} features like the mixture's means; "
            f"got shape {X.shape}"
        )
    return X


def _check_params(params, name="params"):
    if not isinstance(params, GMMParams):
        raise TypeError(f"{name} must be a GMMParams; got {type(params).__name__}")
    return params


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


def _e_step(X, params):
    a = _weighted_log_prob(X, params)
    log_norm = logsumexp(a, axis=1)  # log p(x_n | theta)
    if not np.isfinite(log_norm).all():
        # every term of some row is -inf: its squared Mahalanobis distances
        # overflow float64, and r_nk = exp(-inf - (-inf)) would be NaN
        bad = int(np.count_nonzero(~np.isfinite(log_norm)))
        raise ValueError(
            f"{bad} point(s) of X are so far from every component that their "
            "log-densities overflow float64, so their responsibilities are "
            "undefined. Rescale X (and the parameters) to moderate magnitudes; "
            "companion.gmm does this automatically for extreme data."
        )
    R = np.exp(a - log_norm[:, None])
    return R, float(np.sum(log_norm))


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
    component with no responsibility keeps a finite mean.

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
    n, d = X.shape
    Nk = R.sum(axis=0) + 10 * np.finfo(np.float64).eps  # N_k = sum_n r_nk
    weights = Nk / Nk.sum()  # pi_k = N_k / N
    mu = (R.T @ X) / Nk[:, None]  # mu_k = sum_n r_nk x_n / N_k
    if covariance_type == "full":
        Sigma = np.empty((mu.shape[0], d, d))
        for k in range(mu.shape[0]):
            diff = X - mu[k]
            # Sigma_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T / N_k + eps I
            Sigma[k] = (R[:, k, None] * diff).T @ diff / Nk[k]
            Sigma[k].flat[:: d + 1] += reg_covar
    elif covariance_type == "tied":
        # Sigma = (sum_n x_n x_n^T - sum_k N_k mu_k mu_k^T) / N + eps I
        Sigma = (X.T @ X - (Nk[:, None] * mu).T @ mu) / Nk.sum()
        Sigma = 0.5 * (Sigma + Sigma.T)
        Sigma.flat[:: d + 1] += reg_covar
    else:
        # diagonal of Sigma_k: sum_n r_nk x_n^2 / N_k - mu_k^2 (+ eps)
        diag = (R.T @ (X * X)) / Nk[:, None] - mu**2
        np.maximum(diag, 0.0, out=diag)
        diag += reg_covar
        Sigma = diag if covariance_type == "diag" else diag.mean(axis=1)
    return GMMParams(weights, mu, Sigma, covariance_type)


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


def _initial_params(X, n_components, init, covariance_type, reg_covar, rng):
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
            labels = _lloyd(X, centers, 300).labels
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
    rng = check_seed(seed)
    e = _scaling.clamp_for_regulariser(_scaling.data_exponent(X), reg_covar)
    if e:
        # extreme magnitudes: fit X / 2**e (exact in floating point, same
        # iterates) with reg_covar / 4**e, then scale the result back
        if isinstance(init, GMMParams):
            init = _scaling.scale_gmm_params(init, e)
        scaled = gmm(
            _scaling.scale(X, e),
            n_components,
            covariance_type=covariance_type,
            init=init,
            max_iter=max_iter,
            tol=tol,
            reg_covar=float(_scaling.scale(reg_covar, 2 * e)),
            seed=rng,
        )
        return _scaling.unscale_gmm_result(scaled, e, *X.shape)
    params = _initial_params(X, n_components, init, covariance_type, reg_covar, rng)
    from . import _fast

    if _fast.ENABLED:
        # the same iterates as the loop below, with the E-step and the M-step's
        # statistics fused into one pass over row blocks; see companion/_fast.py
        # (None: the data are too extreme for its expanded quadratic forms)
        result = _fast.em(X, params, max_iter, tol, reg_covar)
        if result is not None:
            return result

    n = X.shape[0]
    R, ll = _e_step(X, params)
    lls, means, weights, covs = [ll], [params.means], [params.weights], [params.covariances]
    converged = False
    n_iter, change = 0, np.nan
    for n_iter in range(1, max_iter + 1):
        params = _m_step(X, R, covariance_type, reg_covar)
        R, ll_new = _e_step(X, params)
        lls.append(ll_new)
        means.append(params.means)
        weights.append(params.weights)
        covs.append(params.covariances)
        change = (ll_new - ll) / n
        ll = ll_new
        if abs(change) < tol:
            converged = True
            break
    return _em_result(params, R, lls, means, weights, covs, n_iter, converged, tol, max_iter, change, stacklevel=2)


def _em_result(params, R, lls, means, weights, covs, n_iter, converged, tol, max_iter, change, stacklevel):
    """Warn if EM stopped at ``max_iter`` with ``tol > 0``, and assemble the result (shared by every EM loop).

    ``lls``, ``means``, ``weights`` and ``covs`` are the per-iteration lists
    (entry 0: the initialisation); ``R`` the responsibilities at ``params``
    (a numpy or a dask array); ``stacklevel`` is counted from the loop that
    calls this helper.
    """
    if tol > 0 and max_iter > 0 and not converged:
        warnings.warn(
            f"EM did not converge in max_iter={max_iter} iterations (last change of "
            f"the per-sample log-likelihood {change:.3g} >= tol={tol}); increase "
            "max_iter or tol",
            ConvergenceWarning,
            stacklevel=stacklevel + 1,
        )
    history = GMMHistory(
        log_likelihood=np.array(lls),
        means=np.stack(means),
        weights=np.stack(weights),
        covariances=np.stack(covs),
    )
    return GMMResult(
        params=params,
        log_likelihood=lls[-1],
        n_iter=n_iter,
        converged=converged,
        history=history,
        responsibilities=R,
        labels=R.argmax(axis=1),
    )


def n_parameters(params):
    """Number of free parameters of a mixture: :math:`(K-1) + KD` + covariance terms.

    Covariance terms: full :math:`K D(D+1)/2`, tied :math:`D(D+1)/2`,
    diag :math:`KD`, spherical :math:`K`.
    """
    params = _params_of(params)
    k, d = params.n_components, params.n_features
    cov = {
        "full": k * d * (d + 1) // 2,
        "tied": d * (d + 1) // 2,
        "diag": k * d,
        "spherical": k,
    }[params.covariance_type]
    return (k - 1) + k * d + cov


def _params_of(obj):
    if isinstance(obj, GMMResult):
        return obj.params
    if isinstance(obj, GMMParams):
        return obj
    raise TypeError(f"expected a GMMResult or GMMParams; got {type(obj).__name__}")


def bic(X, result):
    """Bayesian information criterion :math:`-2\\log p(X\\mid\\hat\\theta) + p\\log N` (lower is better).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data the mixture is scored on.
    result : GMMResult or GMMParams

    Returns
    -------
    float

    References
    ----------
    G. Schwarz, "Estimating the dimension of a model", Ann. Statist. 6(2), 1978.
    """
    params = _params_of(result)
    X = _check_X_like(X, params)
    return -2.0 * log_likelihood(X, params) + n_parameters(params) * np.log(X.shape[0])


def aic(X, result):
    """Akaike information criterion :math:`-2\\log p(X\\mid\\hat\\theta) + 2p` (lower is better)."""
    params = _params_of(result)
    X = _check_X_like(X, params)
    return -2.0 * log_likelihood(X, params) + 2.0 * n_parameters(params)
