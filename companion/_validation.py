"""Input validation for every public entry point of :mod:`companion`.

All checks live here so that every function reports bad input the same way:
the message names the argument, says what was expected and what was got, and
suggests a remedy where there is one.  Errors are ``TypeError`` (wrong kind of
object) or ``ValueError`` (right kind, wrong value); nothing is checked with
``assert``.
"""

from __future__ import annotations

import difflib
import numbers
import operator

import numpy as np

__all__ = [
    "ConvergenceWarning",
    "DegenerateWarning",
]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at ``max_iter`` before its convergence test held."""


class DegenerateWarning(UserWarning):
    """A degenerate situation (an empty cluster, duplicate points) was handled."""


def check_data(X, name="X", *, min_samples=1):
    """Return ``X`` as a finite float64 array of shape (n_samples, n_features).

    Lists, tuples, integer and float32 arrays, read-only arrays and
    non-contiguous views are accepted; the input is never modified (a copy is
    made only when a conversion is needed).
    """
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(
            f"{name} must be an array of numbers with shape (n_samples, n_features); "
            f"got {type(X).__name__}"
        )
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(
            f"{name} must be a rectangular array of numbers with shape "
            f"(n_samples, n_features); it could not be converted: {exc}"
        ) from None
    if arr.dtype == object or arr.dtype.kind in "USVMmO":
        raise TypeError(
            f"{name} must hold real numbers; got an array of dtype {arr.dtype}"
        )
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{name} must hold real numbers; got complex dtype {arr.dtype}. "
            "Pass X.real, or stack real and imaginary parts as separate features."
        )
    if arr.ndim != 2:
        remedy = (
            " Use X.reshape(-1, 1) for a single feature." if arr.ndim == 1 else ""
        )
        raise ValueError(
            f"{name} must be 2-D, shape (n_samples, n_features); got shape "
            f"{arr.shape}.{remedy}"
        )
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} must have at least {min_samples} sample(s); got shape {arr.shape}"
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one feature; got shape {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); remove or impute "
            "them before clustering"
        )
    return arr


def check_int(value, name, *, minimum=None, maximum=None, maximum_name=None):
    """Return ``value`` as a Python int, rejecting booleans and non-integral floats."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer; got a boolean ({value!r})")
    try:
        result = operator.index(value)
    except TypeError:
        if isinstance(value, numbers.Real) and float(value).is_integer():
            result = int(value)
        else:
            raise TypeError(
                f"{name} must be an integer; got {value!r} of type {type(value).__name__}"
            ) from None
    if minimum is not None and result < minimum:
        if maximum is not None:
            raise ValueError(
                f"{name} must be between {minimum} and {maximum_name or maximum} "
                f"({maximum}); got {result}"
            )
        raise ValueError(f"{name} must be at least {minimum}; got {result}")
    if maximum is not None and result > maximum:
        raise ValueError(
            f"{name} must be between {minimum} and {maximum_name or maximum} "
            f"({maximum}); got {result}"
        )
    return result


def check_n_clusters(value, n_samples, name="n_clusters"):
    """Return the number of clusters, between 1 and the number of samples."""
    return check_int(
        value, name, minimum=1, maximum=n_samples, maximum_name="the number of samples"
    )


def check_real(value, name, *, positive=False, nonnegative=False, allow_inf=False):
    """Return ``value`` as a float after checking its sign and finiteness."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number; got {value!r} of type {type(value).__name__}"
        )
    result = float(value)
    if np.isnan(result) or (np.isinf(result) and not allow_inf):
        raise ValueError(f"{name} must be a finite number; got {result!r}")
    if positive and not result > 0:
        raise ValueError(f"{name} must be positive; got {result!r}")
    if nonnegative and not result >= 0:
        raise ValueError(f"{name} must be non-negative; got {result!r}")
    return result


def check_choice(value, options, name):
    """Return ``value`` if it is one of ``options``; suggest the closest otherwise."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}"
        )
    if value not in options:
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.4)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown {name} {value!r}; expected one of "
            f"{', '.join(map(repr, options))}.{hint}"
        )
    return value


def check_seed(seed, name="seed"):
    """Return a :class:`numpy.random.Generator` from None, an int or a Generator."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{name} must be None, a non-negative integer or a numpy Generator; got {seed!r}")
    if isinstance(seed, (numbers.Integral, np.random.SeedSequence, np.random.BitGenerator)):
        if isinstance(seed, numbers.Integral) and seed < 0:
            raise ValueError(f"{name} must be non-negative; got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(
        f"{name} must be None, a non-negative integer or a numpy.random.Generator; "
        f"got {seed!r} of type {type(seed).__name__}"
    )


def check_centers(centers, n_clusters, n_features, name="init"):
    """Return explicit initial centres as a finite float64 array (K, D)."""
    arr = check_data(centers, name)
    if arr.shape != (n_clusters, n_features):
        raise ValueError(
            f"{name} must have shape (n_clusters, n_features) = "
            f"({n_clusters}, {n_features}); got shape {arr.shape}"
        )
    return arr


def check_labels(labels, n_samples, n_clusters, name="labels"):
    """Return integer labels of shape (n_samples,) with values in [0, n_clusters)."""
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.intp)
        elif arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.intp)
        else:
            raise TypeError(f"{name} must be an array of integers; got dtype {arr.dtype}")
    if arr.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape (n_samples,) = ({n_samples},); got shape {arr.shape}"
        )
    if arr.size and (arr.min() < 0 or arr.max() >= n_clusters):
        raise ValueError(
            f"{name} must lie in [0, {n_clusters}); got values from {arr.min()} to {arr.max()}"
        )
    return arr.astype(np.intp, copy=False)


def check_responsibilities(R, n_samples, name="responsibilities"):
    """Return a finite, non-negative (N, K) matrix whose rows sum to one."""
    arr = check_data(R, name)
    if arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} must have one row per sample ({n_samples}); got shape {arr.shape}"
        )
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative")
    if not np.allclose(arr.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name} rows must sum to one")
    return arr
