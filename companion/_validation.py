"""Input validation for every public entry point of :mod:`companion`.

All checks live here so that every function reports bad input the same way:
the message names the argument, says what was expected and what was got, and
suggests a remedy where there is one.  Errors are ``TypeError`` (wrong kind of
object) or ``ValueError`` (right kind, wrong value); nothing is checked with
``assert``.

What is accepted
----------------
* Data (``X``, centres, means): anything :func:`numpy.asarray` turns into a
  2-D array of real numbers -- lists, tuples, read-only arrays, non-contiguous
  views; integer, boolean, float16/float32 dtypes are converted to float64.
  The input is never modified.  Rejected: ``None``, strings, object, complex,
  string, datetime dtypes, ragged nested lists, 0-D/1-D/3-D arrays, empty
  arrays, NaN and infinity.
* Integers (``n_clusters``, ``max_iter``, ...): Python and numpy integers, and
  floats with an integral value (``3.0``).  Rejected: booleans, ``2.5``,
  strings, NaN.
* Reals (``sigma``, ``tol``, ``reg_covar``): Python and numpy real scalars and
  0-D real arrays.  Rejected: booleans, strings, complex numbers, NaN and
  (unless stated) infinity.
* Sums that must equal one (mixture weights, rows of responsibilities) and
  symmetry of covariances are checked with a tolerance tied to the
  precision of the input (:func:`sum_tolerance`): float32 weights
  normalised in float32 sum to one only within about :math:`10^{-7}`, and
  are accepted (then renormalised in float64, so the mixture is a density
  to float64 precision); float64 input keeps the float64 tolerances.
* Seeds: ``None``, a non-negative integer, a :class:`numpy.random.Generator`
  (used as it is, so its state advances), a
  :class:`numpy.random.SeedSequence` or a :class:`numpy.random.BitGenerator`.
  Rejected: negative integers, booleans, floats, strings and the legacy
  :class:`numpy.random.RandomState`.

Warnings
--------
:class:`ConvergenceWarning` when an iterative fit stops at ``max_iter``;
:class:`DegenerateWarning` when a degenerate situation (an empty cluster,
fewer distinct points than clusters) was handled by a documented rule.  The
library never prints.
"""

from __future__ import annotations

import difflib
import numbers
import operator
import os
import sys
import warnings

import numpy as np

__all__ = [
    "ConvergenceWarning",
    "DegenerateWarning",
]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at ``max_iter`` before its convergence test held."""


class DegenerateWarning(UserWarning):
    """A degenerate situation (an empty cluster, duplicate points) was handled."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _inside_package(filename):
    path = os.path.abspath(filename)
    return path == _PACKAGE_DIR or path.startswith(_PACKAGE_DIR + os.sep)


def warn(message, category):
    """``warnings.warn`` pointed at the caller's line: the first frame outside :mod:`companion`.

    The stack level is counted at run time, so a warning raised deep inside a
    fit (an empty cluster in the update step of Lloyd's loop, say) is
    reported at the line of user code that called the fit, whatever the
    depth of the call in the package.
    """
    frame, level = sys._getframe(1), 2  # level 1 would be this function
    while frame is not None and _inside_package(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


_SHAPE_HINT = "(n_samples, n_features)"


def _describe(value):
    """A short description of ``value`` for an error message."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} of type {type(value).__name__}"


def check_array(X, name="X", *, expected=_SHAPE_HINT, min_rows=1):
    """Return ``X`` as a finite float64 2-D array, or raise a clear error.

    The common core of :func:`check_data` and :func:`check_centers`; ``expected``
    is the shape written in the messages.
    """
    if X is None or isinstance(X, (str, bytes, dict, set, frozenset)):
        raise TypeError(
            f"{name} must be an array of numbers with shape {expected}; "
            f"got {_describe(X)}"
        )
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(
            f"{name} must be a rectangular array of numbers with shape {expected}; "
            f"it could not be converted to an array ({exc}). Check that every "
            "row has the same length."
        ) from None
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(
            f"{name} must hold real numbers; got complex dtype {arr.dtype}. "
            f"Pass {name}.real, or stack the real and imaginary parts as separate "
            "features."
        )
    if kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers; got an array of dtype {arr.dtype}. "
            f"Convert it with np.asarray({name}, dtype=float) if it holds numbers."
        )
    if arr.ndim != 2:
        if arr.ndim == 0:
            remedy = f" Wrap a single value as [[{name}]]."
        elif arr.ndim == 1:
            remedy = (
                f" Use {name}.reshape(-1, 1) for a single feature or "
                f"{name}.reshape(1, -1) for a single sample."
            )
        else:
            remedy = f" Flatten the trailing axes with {name}.reshape(len({name}), -1)."
        raise ValueError(
            f"{name} must be 2-D, shape {expected}; got {arr.ndim}-D shape "
            f"{arr.shape}.{remedy}"
        )
    if arr.shape[0] < min_rows:
        raise ValueError(
            f"{name} must have at least {min_rows} sample(s) (rows), shape "
            f"{expected}; got shape {arr.shape}"
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"{name} must have at least one feature (column), shape {expected}; "
            f"got shape {arr.shape}"
        )
    arr = np.asarray(arr, dtype=np.float64)  # no copy when already float64
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)
        row, col = (int(i) for i in bad[0])
        raise ValueError(
            f"{name} contains {len(bad)} NaN or infinite value(s), the first at "
            f"[{row}, {col}] ({arr[row, col]!r}); it must contain only finite "
            "numbers. Remove or impute them first."
        )
    return arr


def check_data(X, name="X", *, min_samples=1):
    """Return ``X`` as a finite float64 array of shape (n_samples, n_features).

    Lists, tuples, integer, boolean and float32 arrays, read-only arrays and
    non-contiguous views are accepted; the input is never modified (a copy is
    made only when a conversion is needed).

    Examples
    --------
    >>> check_data([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> check_data([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: X must be 2-D, shape (n_samples, n_features); got 1-D shape (2,). Use X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample.
    """
    return check_array(X, name, min_rows=min_samples)


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
            raise TypeError(f"{name} must be an integer; got {_describe(value)}") from None
    if maximum is not None and (result > maximum or (minimum is not None and result < minimum)):
        remedy = f"; reduce {name}" if result > maximum else ""
        raise ValueError(
            f"{name} must be between {minimum} and {maximum_name or maximum} "
            f"({maximum}); got {result}{remedy}"
        )
    if minimum is not None and result < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {result}")
    return result


def check_n_clusters(value, n_samples, name="n_clusters"):
    """Return the number of clusters, between 1 and the number of samples."""
    return check_int(
        value, name, minimum=1, maximum=n_samples, maximum_name="the number of samples"
    )


def check_real(value, name, *, positive=False, nonnegative=False, allow_inf=False, remedy=""):
    """Return ``value`` as a float after checking its type, sign and finiteness.

    ``remedy`` is appended to value errors.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {_describe(value)}")
    result = float(value)
    tail = f". {remedy}" if remedy else ""
    if np.isnan(result) or (np.isinf(result) and not allow_inf):
        raise ValueError(f"{name} must be a finite number; got {result!r}{tail}")
    if positive and not result > 0:
        raise ValueError(f"{name} must be positive; got {result!r}{tail}")
    if nonnegative and not result >= 0:
        raise ValueError(f"{name} must be non-negative; got {result!r}{tail}")
    return result


def check_choice(value, options, name):
    """Return ``value`` if it is one of ``options``; suggest the closest otherwise.

    Examples
    --------
    >>> check_choice("ful", ("full", "tied"), "covariance_type")
    Traceback (most recent call last):
    ...
    ValueError: Unknown covariance_type 'ful'; expected one of 'full', 'tied'. Did you mean 'full'?
    """
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be one of {', '.join(map(repr, options))}; got {_describe(value)}"
        )
    if value not in options:
        lowered = {opt.lower(): opt for opt in options}
        close = difflib.get_close_matches(value.lower().strip(), list(lowered), n=1, cutoff=0.4)
        hint = f" Did you mean {lowered[close[0]]!r}?" if close else ""
        raise ValueError(
            f"Unknown {name} {value!r}; expected one of "
            f"{', '.join(map(repr, options))}.{hint}"
        )
    return value


def check_seed(seed, name="seed"):
    """Return a :class:`numpy.random.Generator` from an accepted seed.

    Accepted: ``None`` (fresh entropy), a non-negative integer, a
    ``Generator`` (returned as it is), a ``SeedSequence`` or a ``BitGenerator``.
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    expected = (
        "None, a non-negative integer, a numpy.random.Generator, SeedSequence "
        "or BitGenerator"
    )
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{name} must be {expected}; got a boolean ({seed!r})")
    if isinstance(seed, np.random.RandomState):
        raise TypeError(
            f"{name} must be {expected}; got a legacy numpy.random.RandomState. "
            "Use np.random.default_rng(...) instead."
        )
    if isinstance(seed, numbers.Integral):
        if seed < 0:
            raise ValueError(f"{name} must be a non-negative integer; got {seed}")
        return np.random.default_rng(int(seed))
    if isinstance(seed, (np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(seed)
    remedy = ""
    if isinstance(seed, numbers.Real) and float(seed).is_integer() and seed >= 0:
        remedy = f" Use seed={int(seed)}."
    raise TypeError(f"{name} must be {expected}; got {_describe(seed)}.{remedy}")


def check_centers(centers, n_clusters, n_features, name="init"):
    """Return explicit initial centres as a finite float64 array (K, D)."""
    arr = check_array(centers, name, expected="(n_clusters, n_features)")
    if arr.shape != (n_clusters, n_features):
        raise ValueError(
            f"{name} must have shape (n_clusters, n_features) = "
            f"({n_clusters}, {n_features}); got shape {arr.shape}"
        )
    return arr.copy()  # never alias the caller's array


def check_labels(labels, n_samples, n_clusters, name="labels"):
    """Return integer labels of shape (n_samples,) with values in [0, n_clusters).

    Integer arrays and lists are accepted, and float arrays whose values are
    all integral; booleans are not.
    """
    if labels is None or isinstance(labels, (str, bytes)):
        raise TypeError(f"{name} must be an array of integers; got {_describe(labels)}")
    try:
        arr = np.asarray(labels)
    except Exception as exc:
        raise ValueError(f"{name} could not be converted to an array ({exc})") from None
    if arr.dtype.kind not in "iu":
        integral_floats = (
            arr.dtype.kind == "f"
            and bool(np.all(np.isfinite(arr)))
            and bool(np.all(arr == np.round(arr)))
        )
        if not integral_floats:
            raise TypeError(
                f"{name} must be an array of integers (cluster indices); got dtype {arr.dtype}"
            )
    if arr.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape (n_samples,) = ({n_samples},); got shape {arr.shape}"
        )
    if arr.size and (arr.min() < 0 or arr.max() >= n_clusters):
        raise ValueError(
            f"{name} must lie in [0, {n_clusters}); got values from "
            f"{arr.min():g} to {arr.max():g}"
        )
    return arr.astype(np.intp, copy=False)


def input_eps(value):
    """Machine epsilon of the floating-point dtype ``value`` arrives in (0 for exact integers).

    >>> input_eps(np.float32(1.0)) == float(np.finfo(np.float32).eps), input_eps([1, 2])
    (True, 0.0)
    """
    dtype = np.asarray(value).dtype
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else 0.0


def sum_tolerance(value, n_terms, floor):
    """How far from one a sum of ``n_terms`` entries of ``value`` may be: ``max(floor, (n_terms + 1) eps)``.

    Rounding each of :math:`n` numbers to the input's precision and
    normalising them there moves their sum by at most about
    :math:`(n + 1)\\,u` (:math:`u = \\varepsilon_{\\mathrm{mach}}/2`, one rounding per
    term and one for the normalising sum); twice that is allowed.  ``floor``
    is the float64 tolerance (scikit-learn allows 1e-6 for the weights of
    any dtype; here float64 weights must sum to one within 1e-8, float32
    weights of :math:`K` components within :math:`(K+1) \\times 1.2\\times 10^{-7}`).

    >>> sum_tolerance(np.zeros(3, np.float32), 3, 1e-8) > 1e-7
    True
    >>> sum_tolerance(np.zeros(3), 3, 1e-8)
    1e-08
    """
    return max(floor, (n_terms + 1) * input_eps(value))


def check_responsibilities(R, n_samples, name="responsibilities", *, n_components=None):
    """Return a finite, non-negative (N, K) matrix whose rows sum to one."""
    try:
        arr = check_array(R, name, expected="(n_samples, n_components)")
    except ValueError:
        if isinstance(R, tuple) and len(R) == 2 and np.ndim(R[1]) == 0:
            # the commonest slip: m_step(X, e_step(X, params)) passes e_step's pair
            raise TypeError(
                f"{name} must be an (n_samples, n_components) array; got a tuple of length 2. "
                "cp.e_step returns (responsibilities, log_likelihood): pass its first element."
            ) from None
        raise
    tol = sum_tolerance(R, arr.shape[-1] if arr.ndim == 2 else 1, 1e-6)
    if arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} must have one row per sample ({n_samples}); got shape {arr.shape}"
        )
    if n_components is not None and arr.shape[1] != n_components:
        raise ValueError(
            f"{name} must have {n_components} columns (one per component); got shape {arr.shape}"
        )
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative; got a minimum of {float(arr.min())!r}")
    sums = arr.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=tol):
        worst = int(np.argmax(np.abs(sums - 1.0)))
        raise ValueError(
            f"{name} rows must sum to one; row {worst} sums to {float(sums[worst])!r}. "
            f"Normalise with {name} / {name}.sum(axis=1, keepdims=True)."
        )
    return arr


def check_gmm_arrays(weights, means, covariances, covariance_type):
    """Validate the arrays of a :class:`~companion.mixture.GMMParams`.

    Returns ``(weights, means, covariances)`` as new float64 arrays.  Checks
    shapes, finiteness, weights (non-negative, summing to one), symmetry of
    full/tied covariances and positivity of diag/spherical ones; positive
    definiteness of full/tied covariances is checked by their Cholesky factor.
    """
    means = check_array(means, "means", expected="(n_components, n_features)").copy()
    k, d = means.shape
    weights_eps, covs_eps = input_eps_safe(weights), input_eps_safe(covariances)
    weights = _real_array(weights, "weights")
    covs = _real_array(covariances, "covariances")
    if weights.shape != (k,):
        raise ValueError(
            f"weights must have shape (n_components,) = ({k},) to match means; "
            f"got shape {weights.shape}"
        )
    expected = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
    if covs.shape != expected[covariance_type]:
        raise ValueError(
            f"covariances for covariance_type={covariance_type!r} must have shape "
            f"{expected[covariance_type]}; got shape {covs.shape}"
        )
    for name, arr in (("weights", weights), ("covariances", covs)):
        if not np.isfinite(arr).all():
            raise ValueError(
                f"{name} contains NaN or infinite values; it must contain only "
                f"finite numbers. Got {arr!r}"
            )
    total = weights.sum()
    tol = max(1e-8, (k + 1) * weights_eps)  # sum_tolerance: float32 weights within ~1e-7 K
    if (weights < 0).any() or not np.isclose(total, 1.0, rtol=0, atol=tol):
        raise ValueError(
            f"weights must be non-negative and sum to one; got {weights.tolist()} "
            f"(sum {float(total)!r}). Normalise with weights / weights.sum() (the sum may "
            f"differ from one by {tol:.2g} for this dtype)."
        )
    if weights_eps > np.finfo(np.float64).eps:  # lower precision: a density to float64 precision
        weights = weights / total
    if covariance_type in ("full", "tied"):
        mats = covs.reshape(-1, d, d)
        scale = np.max(np.abs(mats), axis=(1, 2), keepdims=True)
        rel = max(1e-10, 4.0 * covs_eps)  # a float32 matrix may be symmetric only to its precision
        asym = np.abs(mats - np.swapaxes(mats, 1, 2)) > rel * scale + 1e-300
        if asym.any():
            which = int(np.flatnonzero(asym.any(axis=(1, 2)))[0])
            label = "covariances" if covariance_type == "tied" else f"covariances[{which}]"
            raise ValueError(
                f"{label} must be symmetric positive definite; got a non-symmetric "
                f"matrix. Use (S + S.T) / 2."
            )
    elif (covs <= 0).any():
        raise ValueError(
            f"covariances for covariance_type={covariance_type!r} must be positive "
            f"variances; got minimum {float(covs.min())!r}. Increase reg_covar or use "
            "positive variances."
        )
    return weights, means, covs


def input_eps_safe(value):
    """:func:`input_eps`, or 0 for input that is not an array of numbers (checked later)."""
    try:
        return input_eps(value)
    except (TypeError, ValueError):
        return 0.0


def _real_array(value, name):
    """``value`` as a new float64 array of real numbers (any shape), or a clear error."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers; got {_describe(value)}")
    try:
        arr = np.array(value)
    except Exception as exc:
        raise ValueError(f"{name} could not be converted to an array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got an array of dtype {arr.dtype}")
    return arr.astype(np.float64)
