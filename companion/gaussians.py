r"""The parameters of a Gaussian mixture and the densities they define.

:class:`GMMParams` holds :math:`\theta = (\pi, \mu, \Sigma)` in one of the four
covariance layouts (validated once, with the Cholesky factors of the
precisions computed once); the log-densities
:math:`\log\pi_k + \log\mathcal N(x_n\mid\mu_k,\Sigma_k)` and the
responsibilities they give (``eq-gmm-responsibilities``) are computed here,
below every engine and every fit, so that the plain and the blocked engines,
the Dask driver and the fitted results all evaluate a mixture the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_choice, check_data, check_gmm_arrays, check_int, check_seed
from .numerics import log_gaussian_matrix, logsumexp, precision_cholesky

__all__ = ["COVARIANCE_TYPES", "DEGENERATE_TOL", "GMMParams"]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

#: A component whose variance (without the regulariser) along some direction is
#: below this fraction of the data's variance along it is degenerate
#: (see :func:`companion.mixture.degenerate_components`).
DEGENERATE_TOL = 1e-8

#: N_k at or below this is too few points for the type's ML covariance to be
#: non-singular: D for full, 1 for diag and spherical; never for tied (shared).
_SINGULAR_SIZE = {"full": lambda d: d, "diag": lambda d: 1, "spherical": lambda d: 1, "tied": lambda d: 0}


@dataclass(frozen=True, eq=False)
class GMMParams:
    """The parameters :math:`\\theta = (\\pi, \\mu, \\Sigma)` of a Gaussian mixture.

    Parameters
    ----------
    weights : array_like, shape (n_components,)
        Mixing weights :math:`\\pi_k`, non-negative and summing to one: within
        1e-8 for float64 input, within :math:`(K+1)\\,\\varepsilon_{\\mathrm{mach}}`
        of the input's dtype otherwise (float32 weights normalised in float32
        sum to one only within about :math:`10^{-7}`); such weights are
        renormalised in float64.  All arrays are stored as float64.
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

    @classmethod
    def _from_m_step(cls, weights, means, covariances, covariance_type):
        """Parameters the M-step just computed (weights summing to one, symmetric covariances).

        Skips the checks of the constructor that hold by construction; keeps
        finiteness and positive definiteness (the Cholesky factors), so a
        degenerate M-step still fails with the usual message.
        """
        if not (np.isfinite(means).all() and np.isfinite(covariances).all()):
            return cls(weights, means, covariances, covariance_type)  # the usual error
        self = object.__new__(cls)
        for name, arr in (("weights", weights), ("means", means), ("covariances", covariances)):
            arr = np.array(arr, dtype=np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "covariance_type", covariance_type)
        object.__setattr__(self, "_prec_chol", precision_cholesky(self.covariances, covariance_type))
        return self

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
        return _e_step(_check_X_like(X, self), self)[0]

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
    # log pi_k + log N(x_n | mu_k, Sigma_k), certified per row (see log_gaussian_matrix)
    return log_gaussian_matrix(X, params.means, params._prec_chol, params.covariance_type, log_pi)



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
    R = np.exp(a - log_norm[:, None])  # r_nk   (eq-gmm-responsibilities)
    return R, float(np.sum(log_norm))  # log p(X | theta)   (eq-gmm-loglik)




def _degeneracy(params, Nk, reg_covar, data_cov, tol):
    """(flags, reasons) of :func:`companion.mixture.degenerate_components` from N_k and the data covariance."""
    k, d = params.n_components, params.n_features
    C = np.atleast_2d(np.asarray(data_cov, dtype=np.float64))
    # whiten with C^-1/2 = V diag(g)^-1/2 V^T; directions in which the data
    # themselves have no variance (D > N, a constant feature) get a tiny floor
    g, V = np.linalg.eigh(C)
    g = np.maximum(g, max(float(g.max()), np.finfo(np.float64).tiny) * 1e-13)
    W = V / np.sqrt(g)
    # gamma_min(C^-1/2 (Sigma_k - eps I) C^-1/2): the smallest variance ratio over directions
    S = params.full_covariances() - reg_covar * np.eye(d)[None]
    M = np.einsum("ia,kij,jb->kab", W, S, W)
    ratio = np.linalg.eigvalsh(0.5 * (M + np.swapaxes(M, 1, 2)))[:, 0]
    size = _SINGULAR_SIZE[params.covariance_type](d)
    flags, reasons = np.zeros(k, dtype=bool), []
    for j in range(k):
        why = []
        if Nk[j] <= size:
            why.append(
                f"N_k = {Nk[j]:.3g} is not above {size}, too few points for a non-singular "
                f"{params.covariance_type} covariance"
            )
        if ratio[j] < tol:
            why.append(
                f"its variance along some direction, without reg_covar, is {max(ratio[j], 0.0):.2g} "
                f"times the data's variance along it (below {tol:g}): it sits on a "
                "lower-dimensional set of points"
            )
        flags[j] = bool(why)
        reasons.append("; ".join(why))
    return flags, tuple(reasons)
