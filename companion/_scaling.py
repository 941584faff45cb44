"""Exact power-of-two rescaling of data whose magnitude is extreme.

k-means and the Gaussian mixtures are equivariant to scaling the data: fit
:math:`X/s` and the centres and means come out divided by :math:`s`, the
covariances and the objective by :math:`s^2`, and the log-likelihood is
shifted by :math:`N D \\log s`.  When :math:`s` is a power of two the scaled
data are exact in floating point, so the iterates are those of the unscaled
fit -- but the squared distances no longer overflow (data near 1e150 and
beyond) or underflow (data near 1e-150 and below).

The public entry points call :func:`data_exponent`; it returns 0 (nothing to
do) unless the largest absolute value lies outside
``[2**-SAFE_EXPONENT, 2**SAFE_EXPONENT]``, so ordinary data are never touched
and their results stay bit-identical.

The fits are also equivariant to translations, and :func:`data_offset` uses
that for data that sit far from the origin compared with their spread
(timestamps, coordinates in metres): they are fitted as :math:`X - \\bar x`
and the centres and means shifted back, because the expanded squared
distances :math:`\\lVert x\\rVert^2 - 2x^\\top\\mu + \\lVert\\mu\\rVert^2` of the
fast paths lose about :math:`\\log_{10}(\\lVert\\bar x\\rVert^2 / s^2)` digits.
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: Data whose largest absolute value lies in [2**-100, 2**100] (about 8e-31 to
#: 1.3e30) are used as they are.
SAFE_EXPONENT = 100

_LN2 = float(np.log(2.0))


def data_exponent(*arrays):
    """The exponent ``e`` such that ``ldexp(X, -e)`` has its largest |value| in [0.5, 1).

    Returns 0 when the largest absolute value over ``arrays`` (finite float
    arrays) is zero or within the safe range.
    """
    # max(max, -min): no temporary array of |values| (large data stay cheap)
    m = max((max(float(np.max(a)), -float(np.min(a))) if np.size(a) else 0.0) for a in arrays)
    if m == 0.0:
        return 0
    e = int(np.frexp(m)[1])  # m = f * 2**e with f in [0.5, 1)
    return 0 if -SAFE_EXPONENT <= e <= SAFE_EXPONENT else e


#: Data whose mean is farther from the origin than this many times their
#: spread (root mean squared distance to the mean) are fitted as X - mean.
OFFSET_RATIO = 16.0


def data_offset(X):
    """The mean of ``X`` when it dominates the spread of ``X`` (fit ``X - mean``), else None.

    The decision uses at most about 4096 rows (no copy of ``X``); the
    returned mean uses every row.
    """
    sample = X[:: max(1, X.shape[0] // 4096)]
    m = sample.mean(axis=0)
    diff = sample - m
    spread2 = float(np.einsum("nd,nd->", diff, diff)) / sample.shape[0]
    if float(m @ m) <= OFFSET_RATIO**2 * spread2:
        return None
    return X.mean(axis=0)


def to_data_units(points, e, c=None):
    """Centres or means fitted in the units ``X / 2**e - c``, back in the units of ``X``."""
    if c is not None:
        points = points + c
    return unscale(points, e) if e else points


def to_fit_units(points, e, c=None):
    """Centres or means in the units of ``X``, in the fit's units ``X / 2**e - c``."""
    points = scale(points, e) if e else np.asarray(points, dtype=np.float64)
    return points - c if c is not None else points


def clamp_for_regulariser(e, reg_covar):
    """Limit ``e`` so that ``ldexp(reg_covar, -2 e)`` stays a normal, finite float.

    A regulariser much larger than the squared scale of the data dominates
    every covariance, and one much smaller is lost in rounding either way; the
    clamp keeps it representable so the scaled fit regularises exactly as the
    unscaled one would.
    """
    if e == 0 or reg_covar == 0.0:
        return e
    r = int(np.frexp(reg_covar)[1])
    lo = -((1000 - r) // 2)  # ceil((r - 1000) / 2): reg' <= 2**1000
    hi = (r + 1021) // 2  # reg' >= 2**-1022 (smallest normal)
    return min(max(e, lo), hi)


def scale(arr, e):
    """``arr / 2**e`` (exact unless it underflows)."""
    with np.errstate(under="ignore"):
        return np.ldexp(np.asarray(arr, dtype=np.float64), -e)


def unscale(arr, e):
    """``arr * 2**e``; values beyond the float range become inf (they are not representable)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(np.asarray(arr, dtype=np.float64), e)


def unscale_float(value, e):
    """``value * 2**e`` as a Python float."""
    return float(unscale(value, e))


def log_scale_shift(n_samples, n_features, e):
    """``N D log(2**e)``: subtract it from a log-likelihood of the scaled data."""
    return n_samples * n_features * e * _LN2


def unscale_kmeans_result(result, e, c=None):
    """A :class:`~companion.kmeans.KMeansResult` of ``X / 2**e - c`` in the units of ``X``."""
    if e == 0 and c is None:
        return result
    history = dataclasses.replace(
        result.history,
        objective=unscale(result.history.objective, 2 * e),
        centers=to_data_units(result.history.centers, e, c),
    )
    return dataclasses.replace(
        result,
        centers=to_data_units(result.centers, e, c),
        objective=unscale_float(result.objective, 2 * e),
        objectives_per_init=unscale(result.objectives_per_init, 2 * e),
        history=history,
    )


def unscale_covariances(covariances, e, covariance_type):
    """Covariances of ``X / 2**e`` in the units of ``X`` (times ``4**e``), or a clear error.

    ``covariances`` may carry a leading iteration axis (the history).
    """
    out = unscale(covariances, 2 * e)
    if not np.isfinite(out).all():
        raise ValueError(
            "the fitted covariances exceed the float64 range (about 1.8e308) in the "
            "units of X; divide X by a constant (for example a power of two) and "
            "fit again"
        )
    if covariance_type in ("full", "tied"):
        variances = np.diagonal(out, axis1=-2, axis2=-1)
    else:
        variances = out
    if (variances < np.finfo(np.float64).tiny).any():
        raise ValueError(
            "the fitted covariances fall below the float64 range (about 2.2e-308) "
            "in the units of X; multiply X by a constant (for example a power of "
            "two) or increase reg_covar, and fit again"
        )
    return out


def unscale_gmm_params(params, e, c=None):
    """A :class:`~companion.mixture.GMMParams` of ``X / 2**e - c`` in the units of ``X``."""
    if e == 0 and c is None:
        return params
    return type(params)(
        params.weights,
        to_data_units(params.means, e, c),
        unscale_covariances(params.covariances, e, params.covariance_type) if e else params.covariances,
        params.covariance_type,
    )


def scale_gmm_params(params, e, c=None):
    """A :class:`~companion.mixture.GMMParams` in the units of ``X / 2**e - c``."""
    if e == 0 and c is None:
        return params
    covs = scale(params.covariances, 2 * e)
    if not (covs > 0).any() or not np.isfinite(covs).all():
        raise ValueError(
            "the covariances of init cannot be represented in the units used for "
            "data of this magnitude; rescale X and init by the same constant"
        )
    return type(params)(params.weights, to_fit_units(params.means, e, c), covs, params.covariance_type)


def unscale_gmm_result(result, e, n_samples, n_features, c=None):
    """A :class:`~companion.mixture.GMMResult` of ``X / 2**e - c`` in the units of ``X``."""
    if e == 0 and c is None:
        return result
    shift = log_scale_shift(n_samples, n_features, e)
    history = dataclasses.replace(
        result.history,
        log_likelihood=result.history.log_likelihood - shift,
        means=to_data_units(result.history.means, e, c),
        covariances=unscale_covariances(
            result.history.covariances, e, result.params.covariance_type
        ) if e else result.history.covariances,
    )
    return dataclasses.replace(
        result,
        params=unscale_gmm_params(result.params, e, c),
        log_likelihood=float(result.log_likelihood - shift),
        history=history,
    )
