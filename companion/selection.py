"""Model selection for Gaussian mixtures: parameter counts and information criteria.

:func:`n_parameters` counts the free parameters of a mixture;
:func:`bic` and :func:`aic` penalise the maximised log-likelihood with them
(lower is better).
"""

from __future__ import annotations

import numpy as np

from .gaussians import GMMParams, _check_X_like
from .mixture import GMMResult, log_likelihood

__all__ = ["n_parameters", "bic", "aic"]


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
