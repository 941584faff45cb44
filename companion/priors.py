"""The conjugate prior of MAP-EM: normal-inverse-Wishart, with data-dependent defaults.

Maximum likelihood for a Gaussian mixture has no maximum: a component that
shrinks onto a few points (or onto points that share a coordinate, as data
recorded in whole minutes do) drives the likelihood to infinity.  Fraley and
Raftery (2007) replace the maximum-likelihood estimate by the posterior mode
under a conjugate prior "containing a small fraction of one observation's
worth of information", found by the same EM loop: only the M-step changes.
The prior (mclust's ``priorControl()``) is, for every component,

.. math::

    \\mu_k \\mid \\Sigma_k \\sim \\mathcal N\\bigl(\\mu_P, \\Sigma_k / n_P\\bigr),
    \\qquad
    \\Sigma_k \\sim \\mathcal{W}^{-1}\\bigl(\\eta_P, \\Psi_P\\bigr),

with no prior on the weights.  For the other covariance types the
inverse-Wishart is replaced by its restriction: ``tied`` puts one
inverse-Wishart on the shared :math:`\\Sigma`; ``diag`` an inverse gamma
:math:`\\mathrm{IG}(\\eta_P/2, (\\Psi_P)_{jj}/2)` on every variance
:math:`\\sigma^2_{kj}`; ``spherical`` an inverse gamma
:math:`\\mathrm{IG}(\\eta_P/2, \\operatorname{tr}\\Psi_P/(2D))`
on every :math:`\\sigma^2_k` (the prior of the mean is then
:math:`\\mathcal N(\\mu_P, \\operatorname{diag}(\\sigma_k^2)/n_P)`).

**Defaults** (:func:`default_prior`, those of mclust's ``defaultPrior``):
:math:`\\mu_P` = the data mean, :math:`n_P = 0.01`,
:math:`\\eta_P = D + 2` and
:math:`\\Psi_P = \\widehat{\\operatorname{cov}}(X) / K^{2/D}`
(the unbiased sample covariance), so each of :math:`K` equal-volume
components starts from its share of the data's volume.  mclust uses the
average variance :math:`\\operatorname{tr}\\widehat{\\operatorname{cov}}(X)/D`
as the scale of the diagonal models as well; here ``diag`` uses the
per-axis variances, so that the prior, like the diagonal model itself, is
equivariant to rescaling one axis.

**Strength.** ``strength`` :math:`t > 0` raises the prior density to the
power :math:`t` (every pseudo-count is multiplied by :math:`t`); :math:`t = 1`
is the prior above, and as :math:`t \\to 0` the M-step tends to the
maximum-likelihood one.

EM with the prior increases the *penalised* log-likelihood
:math:`L(\\theta) + t \\log p(\\theta)` at every iteration (with
``reg_covar=0``); :func:`log_prior` evaluates :math:`t\\log p(\\theta)` up to an
additive constant that depends on the hyperparameters only.

References
----------
C. Fraley and A. E. Raftery, "Bayesian regularization for normal mixture
estimation and model-based clustering", Journal of Classification 24,
155-181, 2007.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_data, check_int, check_real

__all__ = ["ConjugatePrior", "default_prior", "log_prior"]


@dataclass(frozen=True, eq=False)
class ConjugatePrior:
    """Hyperparameters of the normal-inverse-Wishart prior (see the module docstring).

    Parameters
    ----------
    mean : array_like, shape (n_features,)
        Prior mean of the component means, :math:`\\mu_P`.
    shrinkage : float
        :math:`n_P \\ge 0`: the prior of a mean is worth
        :math:`n_P` observations (0: no prior on the means).
    dof : float
        Degrees of freedom :math:`\\eta_P > 0`.
    scale : array_like, shape (n_features, n_features)
        :math:`\\Psi_P`, symmetric positive definite; ``diag``
        uses its diagonal, ``spherical`` the mean of its diagonal.
    strength : float, default 1.0
        :math:`t > 0`: the prior density is raised to this power.

    Examples
    --------
    >>> import numpy as np
    >>> p = ConjugatePrior(mean=[0.0, 0.0], shrinkage=0.01, dof=4.0, scale=np.eye(2))
    >>> p.n_features, p.scale_for("spherical")
    (2, 1.0)
    """

    mean: np.ndarray
    shrinkage: float
    dof: float
    scale: np.ndarray
    strength: float = 1.0

    def __post_init__(self):
        mean = check_data(np.asarray(self.mean, dtype=np.float64).reshape(1, -1), "mean")[0].copy()
        d = mean.size
        scale = check_data(np.atleast_2d(np.asarray(self.scale, dtype=np.float64)), "scale").copy()
        if scale.shape != (d, d):
            raise ValueError(f"scale must have shape ({d}, {d}) like the mean; got shape {scale.shape}")
        if not np.allclose(scale, scale.T, rtol=1e-10, atol=0.0):
            raise ValueError("scale must be a symmetric matrix; use (S + S.T) / 2")
        try:
            np.linalg.cholesky(scale)
        except np.linalg.LinAlgError:
            raise ValueError(
                "scale must be positive definite; a feature with zero variance makes the "
                "default scale singular: remove constant features, or pass a scale"
            ) from None
        for arr in (mean, scale):
            arr.setflags(write=False)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "shrinkage", check_real(self.shrinkage, "shrinkage", nonnegative=True))
        object.__setattr__(self, "dof", check_real(self.dof, "dof", positive=True))
        object.__setattr__(self, "strength", check_real(self.strength, "strength", positive=True))

    @property
    def n_features(self):
        """Dimension :math:`D`."""
        return self.mean.size

    def scale_for(self, covariance_type):
        """The scale in the layout of ``covariance_type``: (D, D), (D, D), (D,) or a float."""
        if covariance_type in ("full", "tied"):
            return self.scale
        if covariance_type == "diag":
            return np.diag(self.scale).copy()
        return float(np.trace(self.scale)) / self.n_features

    def pseudo_count(self, covariance_type, n_components):
        """What the prior adds to the denominator of the covariance's posterior mode.

        ``t (nu + D + 2)`` (full, spherical), ``t (nu + D + 1 + K)`` (tied),
        ``t (nu + 3)`` (diag): the power of :math:`|\\Sigma|^{-1/2}` (or of
        :math:`(\\sigma^2)^{-1/2}`) in the prior density.
        """
        d, t, nu = self.n_features, self.strength, self.dof
        return t * {
            "full": nu + d + 2,
            "tied": nu + d + 1 + n_components,
            "diag": nu + 3,
            "spherical": nu + d + 2,
        }[covariance_type]

    def with_strength(self, strength):
        """The same prior raised to the power ``strength``."""
        return ConjugatePrior(self.mean, self.shrinkage, self.dof, self.scale, strength)

    def in_fit_units(self, mean_shift, scale_factor):
        """The prior of ``X * scale_factor - mean_shift`` (how :func:`~companion.gmm` fits extreme data)."""
        return ConjugatePrior(
            self.mean * scale_factor - mean_shift,
            self.shrinkage,
            self.dof,
            self.scale * scale_factor**2,
            self.strength,
        )


def default_prior(X, n_components, *, shrinkage=0.01, dof=None, scale=None, mean=None, strength=1.0):
    """The default prior of Fraley and Raftery (2007), mclust's ``defaultPrior``.

    :math:`\\mu_P = \\bar x`, :math:`n_P = 0.01`,
    :math:`\\eta_P = D + 2`,
    :math:`\\Psi_P = \\widehat{\\operatorname{cov}}(X) / K^{2/D}`
    (unbiased sample covariance); any of them can be given instead.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        At least two samples.
    n_components : int
        :math:`K`.
    shrinkage, dof, scale, mean, strength
        Override the defaults (see :class:`ConjugatePrior`).

    Returns
    -------
    ConjugatePrior

    References
    ----------
    C. Fraley and A. E. Raftery, "Bayesian regularization for normal mixture
    estimation and model-based clustering", Journal of Classification 24,
    155-181, 2007.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [2.0, 4.0]])
    >>> p = default_prior(X, 2)
    >>> p.mean.tolist(), p.dof, np.round(p.scale, 6).tolist()
    ([1.0, 2.0], 4.0, [[0.666667, 0.0], [0.0, 2.666667]])
    """
    X = check_data(X, min_samples=2)
    n_components = check_int(n_components, "n_components", minimum=1)
    d = X.shape[1]
    if mean is None:
        mean = X.mean(axis=0)
    if dof is None:
        dof = d + 2.0
    if scale is None:
        C = np.atleast_2d(np.cov(X, rowvar=False, ddof=1))
        scale = C / n_components ** (2.0 / d)  # var(data) / K^(2/D)
    return ConjugatePrior(mean, shrinkage, dof, scale, strength)


def log_prior(prior, means, covariances, covariance_type):
    """:math:`t \\log p(\\mu, \\Sigma)` up to a constant that depends on the hyperparameters only.

    ========== =============================================================================
    full       :math:`\\sum_k -\\frac{\\eta_P+D+2}{2}\\log|\\Sigma_k| - \\frac12\\operatorname{tr}(\\Psi_P\\Sigma_k^{-1}) - \\frac{n_P}{2} q_k`
    tied       :math:`-\\frac{\\eta_P+D+1+K}{2}\\log|\\Sigma| - \\frac12\\operatorname{tr}(\\Psi_P\\Sigma^{-1}) - \\frac{n_P}{2}\\sum_k q_k`
    diag       :math:`\\sum_{k,j} -\\frac{\\eta_P+3}{2}\\log\\sigma^2_{kj} - \\frac{(\\Psi_P)_{jj} + n_P (\\mu_{kj} - \\mu_{P j})^2}{2\\sigma^2_{kj}}`
    spherical  :math:`\\sum_k -\\frac{\\eta_P+D+2}{2}\\log\\sigma^2_k - \\frac{\\bar\\Psi_P + n_P\\lVert\\mu_k-\\mu_P\\rVert^2}{2\\sigma^2_k}`
    ========== =============================================================================

    with :math:`q_k = (\\mu_k-\\mu_P)^\\top\\Sigma_k^{-1}(\\mu_k-\\mu_P)` and
    :math:`\\bar\\Psi_P = \\operatorname{tr}\\Psi_P / D`, all times the strength :math:`t`.
    ``prior=None`` gives 0.

    Parameters
    ----------
    prior : ConjugatePrior or None
        Hyperparameters :math:`\\mu_P` (``mean``), :math:`n_P`
        (``shrinkage``), :math:`\\eta_P` (``dof``), :math:`\\Psi_P` (``scale``)
        and :math:`t` (``strength``).
    means : array_like, shape (n_components, n_features)
    covariances : array_like
        In the layout of ``covariance_type`` (as :class:`GMMParams` stores them).
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    float
        The log prior density, without its normalising constant; the MAP
        M-step (:func:`m_step` with ``prior=``) maximises the expected
        complete-data log-likelihood plus this.

    Examples
    --------
    One component in one dimension, :math:`\\mu_P = 0`,
    :math:`n_P = \\eta_P = t = 1`, :math:`\\Psi_P = 2`, at :math:`\\mu = 1`,
    :math:`\\sigma^2 = 2`: :math:`-2\\log 2 - (2 + 1)/4`.

    >>> import numpy as np
    >>> prior = ConjugatePrior(np.zeros(1), 1.0, 1.0, np.array([[2.0]]), 1.0)
    >>> value = log_prior(prior, [[1.0]], [2.0], "spherical")
    >>> bool(np.isclose(value, -2 * np.log(2) - 0.75))
    True
    """
    if prior is None:
        return 0.0
    means = np.asarray(means, dtype=np.float64)
    k, d = means.shape
    diff = means - prior.mean  # mu_k - mu_P
    kappa, lam = prior.shrinkage, prior.scale_for(covariance_type)
    c = prior.pseudo_count(covariance_type, k) / prior.strength  # the power of |Sigma|^(-1/2)
    if covariance_type in ("full", "tied"):
        S = np.asarray(covariances, dtype=np.float64).reshape(-1, d, d)
        L = np.linalg.cholesky(S)
        log_det = 2.0 * np.sum(np.log(np.diagonal(L, axis1=1, axis2=2)), axis=1)
        # tr(Lambda Sigma^-1) = ||L^-1 chol(Lambda)||_F^2;  q_k = ||L^-1 (mu_k - mu_P)||^2
        A = np.linalg.solve(L, np.broadcast_to(np.linalg.cholesky(lam), L.shape))
        trace = np.einsum("kij,kij->k", A, A)
        Ls = np.broadcast_to(L, (k, d, d))
        z = np.linalg.solve(Ls, diff[:, :, None])[:, :, 0]
        q = np.einsum("kd,kd->k", z, z)
        value = -0.5 * c * log_det.sum() - 0.5 * trace.sum() - 0.5 * kappa * q.sum()
    elif covariance_type == "diag":
        v = np.asarray(covariances, dtype=np.float64)
        value = np.sum(-0.5 * c * np.log(v) - (lam + kappa * diff**2) / (2.0 * v))
    else:
        v = np.asarray(covariances, dtype=np.float64)
        value = np.sum(-0.5 * c * np.log(v) - (lam + kappa * np.einsum("kd,kd->k", diff, diff)) / (2.0 * v))
    return float(prior.strength * value)
