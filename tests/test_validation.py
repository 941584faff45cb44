"""The validation helpers themselves (companion/_validation.py) and the exact rescaling (_scaling.py)."""

from __future__ import annotations

import numpy as np
import pytest

from companion import _scaling
from companion._validation import (
    check_centers,
    check_choice,
    check_data,
    check_gmm_arrays,
    check_int,
    check_labels,
    check_n_clusters,
    check_real,
    check_responsibilities,
    check_seed,
)

# --------------------------------------------------------------------- check_data


@pytest.mark.parametrize(
    "X",
    [
        [[1, 2], [3, 4]],
        ((1.0, 2.0), (3.0, 4.0)),
        np.array([[1, 2], [3, 4]], dtype=np.int8),
        np.array([[1, 2], [3, 4]], dtype=np.uint64),
        np.array([[1, 2], [3, 4]], dtype=np.float32),
        np.array([[1, 2], [3, 4]], dtype=np.float16),
        np.asfortranarray(np.array([[1.0, 2.0], [3.0, 4.0]])),
        np.array([[1.0, 9.0, 2.0], [3.0, 9.0, 4.0]])[:, ::2],
    ],
)
def test_check_data_accepts_array_likes(X):
    out = check_data(X)
    assert out.dtype == np.float64 and out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[1.0, 2.0], [3.0, 4.0]])


def test_check_data_does_not_copy_or_modify_float64():
    X = np.arange(6.0).reshape(3, 2)
    X.setflags(write=False)
    out = check_data(X)
    assert out is X or np.shares_memory(out, X)
    assert not X.flags.writeable


@pytest.mark.parametrize(
    "X, exc, fragment",
    [
        (None, TypeError, "X must be an array of numbers with shape (n_samples, n_features); got None"),
        ("ab", TypeError, "got 'ab' of type str"),
        ({"a": 1}, TypeError, "of type dict"),
        (np.array([[1 + 1j]]), TypeError, "complex dtype complex128"),
        (np.array([["x"]]), TypeError, "dtype <U1. Convert it with np.asarray(X, dtype=float)"),
        (np.array([[object()]]), TypeError, "dtype object"),
        ([[1.0], [2.0, 3.0]], ValueError, "every row has the same length"),
        (np.float64(1.0), ValueError, "got 0-D shape (). Wrap a single value as [[X]]"),
        (np.ones(3), ValueError, "got 1-D shape (3,). Use X.reshape(-1, 1) for a single feature"),
        (np.ones((2, 2, 2)), ValueError, "got 3-D shape (2, 2, 2). Flatten the trailing axes"),
        (np.ones((0, 3)), ValueError, "X must have at least 1 sample(s)"),
        (np.ones((3, 0)), ValueError, "at least one feature"),
        (np.array([[1.0, np.nan], [np.inf, 0.0]]), ValueError, "X contains 2 NaN or infinite value(s), the first at [0, 1]"),
    ],
)
def test_check_data_rejects(X, exc, fragment):
    with pytest.raises(exc) as info:
        check_data(X)
    assert fragment in str(info.value)


def test_check_data_names_the_argument_and_min_samples():
    with pytest.raises(ValueError, match="centers must be 2-D"):
        check_data([1.0], "centers")
    with pytest.raises(ValueError, match="at least 3 sample"):
        check_data([[1.0], [2.0]], min_samples=3)


# --------------------------------------------------------------------- integers


@pytest.mark.parametrize("value, expected", [(3, 3), (np.int32(3), 3), (3.0, 3), (np.float64(4.0), 4), (np.array(2), 2)])
def test_check_int_accepts(value, expected):
    out = check_int(value, "k", minimum=0)
    assert out == expected and type(out) is int


@pytest.mark.parametrize(
    "value, exc, fragment",
    [
        (True, TypeError, "k must be an integer; got a boolean (True)"),
        (np.bool_(False), TypeError, "got a boolean"),
        (2.5, TypeError, "k must be an integer; got 2.5 of type float"),
        (float("nan"), TypeError, "k must be an integer"),
        (float("inf"), TypeError, "k must be an integer"),
        ("3", TypeError, "got '3' of type str"),
        (None, TypeError, "got None"),
        (-1, ValueError, "k must be at least 0; got -1"),
    ],
)
def test_check_int_rejects(value, exc, fragment):
    with pytest.raises(exc) as info:
        check_int(value, "k", minimum=0)
    assert fragment in str(info.value)


def test_check_n_clusters_bounds():
    assert check_n_clusters(5, 5) == 5
    with pytest.raises(ValueError, match=r"between 1 and the number of samples \(5\); got 7; reduce n_clusters"):
        check_n_clusters(7, 5)
    with pytest.raises(ValueError, match=r"n_components must be between 1 .*got 0$"):
        check_n_clusters(0, 5, "n_components")


# --------------------------------------------------------------------- reals


@pytest.mark.parametrize("value", [1, 1.5, np.float32(1.5), np.int64(2), np.array(0.5), 1e-300, 1e300])
def test_check_real_accepts(value):
    out = check_real(value, "sigma", positive=True)
    assert type(out) is float and out == float(value)


@pytest.mark.parametrize(
    "value, kwargs, exc, fragment",
    [
        (True, {}, TypeError, "sigma must be a real number; got True"),
        ("1", {}, TypeError, "got '1' of type str"),
        (1j, {}, TypeError, "of type complex"),
        (np.array([1.0]), {}, TypeError, "of type ndarray"),
        (float("nan"), {}, ValueError, "sigma must be a finite number; got nan"),
        (float("inf"), {}, ValueError, "got inf"),
        (0.0, {"positive": True}, ValueError, "sigma must be positive; got 0.0"),
        (-1.0, {"nonnegative": True}, ValueError, "sigma must be non-negative; got -1.0"),
        (0.0, {"positive": True, "remedy": "Try 1."}, ValueError, "got 0.0. Try 1."),
    ],
)
def test_check_real_rejects(value, kwargs, exc, fragment):
    with pytest.raises(exc) as info:
        check_real(value, "sigma", **kwargs)
    assert fragment in str(info.value)


def test_check_real_allow_inf():
    assert check_real(float("inf"), "x", allow_inf=True) == float("inf")


# --------------------------------------------------------------------- choices


@pytest.mark.parametrize(
    "value, suggestion",
    [("ful", "full"), ("Full", "full"), ("diagonal", "diag"), ("spherica", "spherical"), (" tied", "tied")],
)
def test_check_choice_suggests_the_closest(value, suggestion):
    with pytest.raises(ValueError, match=f"Did you mean '{suggestion}'"):
        check_choice(value, ("full", "tied", "diag", "spherical"), "covariance_type")


def test_check_choice_without_close_match_and_wrong_type():
    with pytest.raises(ValueError) as info:
        check_choice("zzzzzz", ("full", "tied"), "covariance_type")
    assert "Did you mean" not in str(info.value) and "expected one of 'full', 'tied'" in str(info.value)
    with pytest.raises(TypeError, match="covariance_type must be one of 'full', 'tied'; got 3"):
        check_choice(3, ("full", "tied"), "covariance_type")
    assert check_choice("tied", ("full", "tied"), "covariance_type") == "tied"


# --------------------------------------------------------------------- seeds


def test_check_seed_accepted_forms():
    g = np.random.default_rng(1)
    assert check_seed(g) is g  # used as it is: its state advances
    ref = np.random.default_rng(7).random(3)
    for seed in (7, np.int16(7), np.uint64(7), np.random.SeedSequence(7), np.random.PCG64(7)):
        np.testing.assert_array_equal(check_seed(seed).random(3), ref)
    assert isinstance(check_seed(None), np.random.Generator)
    assert isinstance(check_seed(2**100), np.random.Generator)


@pytest.mark.parametrize(
    "seed, exc, fragment",
    [
        (-1, ValueError, "seed must be a non-negative integer; got -1"),
        (True, TypeError, "got a boolean"),
        (1.0, TypeError, "Use seed=1."),
        (1.5, TypeError, "got 1.5 of type float"),
        ("0", TypeError, "got '0' of type str"),
        ([1, 2], TypeError, "of type list"),
        (np.random.RandomState(0), TypeError, "legacy numpy.random.RandomState. Use np.random.default_rng"),
    ],
)
def test_check_seed_rejects(seed, exc, fragment):
    with pytest.raises(exc) as info:
        check_seed(seed)
    assert fragment in str(info.value)


# --------------------------------------------------------------------- centres, labels, responsibilities


def test_check_centers():
    C = np.zeros((2, 3))
    out = check_centers(C, 2, 3)
    assert out.shape == (2, 3) and not np.shares_memory(out, C)
    with pytest.raises(ValueError, match=r"init must have shape \(n_clusters, n_features\) = \(2, 3\); got shape \(3, 3\)"):
        check_centers(np.zeros((3, 3)), 2, 3)
    with pytest.raises(ValueError, match="init contains 1 NaN"):
        check_centers([[0.0, 0.0, np.nan], [0.0, 0.0, 0.0]], 2, 3)


def test_check_labels():
    np.testing.assert_array_equal(check_labels([0, 1, 1], 3, 2), [0, 1, 1])
    np.testing.assert_array_equal(check_labels(np.array([0.0, 1.0, 1.0]), 3, 2), [0, 1, 1])
    assert check_labels([0, 1, 1], 3, 2).dtype == np.intp
    for bad, exc, frag in [
        ([True, False, True], TypeError, "got dtype bool"),
        ([0.5, 1.0, 1.0], TypeError, "got dtype float64"),
        ([0, np.nan, 1], TypeError, "must be an array of integers"),
        ("012", TypeError, "labels must be an array of integers"),
        ([0, 1], ValueError, "shape (n_samples,) = (3,); got shape (2,)"),
        ([[0, 1, 1]], ValueError, "got shape (1, 3)"),
        ([0, 1, 2], ValueError, "labels must lie in [0, 2); got values from 0 to 2"),
        ([-1, 0, 1], ValueError, "got values from -1 to 1"),
    ]:
        with pytest.raises(exc) as info:
            check_labels(bad, 3, 2)
        assert frag in str(info.value), bad


def test_check_responsibilities():
    R = np.array([[0.25, 0.75], [1.0, 0.0]])
    np.testing.assert_array_equal(check_responsibilities(R, 2), R)
    with pytest.raises(ValueError, match=r"one row per sample \(3\); got shape \(2, 2\)"):
        check_responsibilities(R, 3)
    with pytest.raises(ValueError, match="must have 3 columns"):
        check_responsibilities(R, 2, n_components=3)
    with pytest.raises(ValueError, match="must be non-negative; got a minimum of -0.5"):
        check_responsibilities([[1.5, -0.5]], 1)
    with pytest.raises(ValueError, match=r"row 1 sums to 0.5. Normalise"):
        check_responsibilities([[1.0, 0.0], [0.25, 0.25]], 2)


# --------------------------------------------------------------------- GMM arrays


def test_check_gmm_arrays_returns_new_float_arrays():
    w, m, c = [0.5, 0.5], np.array([[0.0], [1.0]]), np.array([1, 2])
    weights, means, covs = check_gmm_arrays(w, m, c, "spherical")
    assert covs.dtype == np.float64 and not np.shares_memory(means, m)


@pytest.mark.parametrize(
    "args, exc, fragment",
    [
        (([1.0], [[0.0]], [[1.0]], "spherical"), ValueError, "must have shape (1,); got shape (1, 1)"),
        (([1.0, 0.0], [[0.0]], [1.0], "spherical"), ValueError, "weights must have shape (n_components,) = (1,)"),
        (([1.0], [0.0], [1.0], "spherical"), ValueError, "means must be 2-D"),
        (([1.0], [[0.0]], [np.inf], "spherical"), ValueError, "covariances contains NaN or infinite"),
        (([1.0], [[np.nan]], [1.0], "spherical"), ValueError, "means contains 1 NaN"),
        ((["a"], [[0.0]], [1.0], "spherical"), TypeError, "weights must hold real numbers"),
        (([1.0], [[0.0]], None, "spherical"), TypeError, "covariances must be an array of real numbers"),
        (([0.9], [[0.0]], [1.0], "spherical"), ValueError, "sum to one; got [0.9] (sum 0.9)"),
        (([1.0], [[0.0]], [-1.0], "spherical"), ValueError, "positive variances; got minimum -1.0"),
        (([1.0], [[0.0, 0.0]], [[1.0, 0.1], [0.2, 1.0]], "tied"), ValueError, "covariances must be symmetric positive definite"),
        (([0.5, 0.5], [[0.0], [0.0]], [[[1.0]], [[1.0]]], "full"), None, None),
    ],
)
def test_check_gmm_arrays(args, exc, fragment):
    if exc is None:
        check_gmm_arrays(*args)
        return
    with pytest.raises(exc) as info:
        check_gmm_arrays(*args)
    assert fragment in str(info.value)


# --------------------------------------------------------------------- exact rescaling


@pytest.mark.parametrize(
    "scale, expected",
    [(0.0, 0), (1.0, 0), (1e30, 0), (1e-30, 0), (2.0**101, 102), (1e150, 499), (2.0**-101, 0), (2.0**-102, -101), (1e-300, -996)],
)
def test_data_exponent(scale, expected):
    e = _scaling.data_exponent(np.array([[scale, -scale / 2]]))
    assert e == expected
    if e:
        assert 0.5 <= np.max(np.abs(_scaling.scale(np.array([scale]), e))) < 1.0


def test_scaling_is_exact():
    X = np.random.default_rng(0).normal(size=(50, 3)) * 1e200
    e = _scaling.data_exponent(X)
    np.testing.assert_array_equal(_scaling.unscale(_scaling.scale(X, e), e), X)


def test_regulariser_clamp_keeps_reg_covar_normal():
    for e, reg in [(499, 1e-6), (-996, 1e-6), (-996, 1e300), (1020, 1e-300)]:
        ec = _scaling.clamp_for_regulariser(e, reg)
        scaled = _scaling.scale(reg, 2 * ec)
        assert np.finfo(float).tiny <= scaled <= 2.0**1000, (e, reg, ec)
    assert _scaling.clamp_for_regulariser(499, 0.0) == 499
    assert _scaling.clamp_for_regulariser(0, 1e-6) == 0


# --- warnings point at the caller's line -------------------------------------------------


def _warning_sites():
    import companion as cp

    X = np.vstack([np.zeros((3, 2)), np.ones((3, 2)) * 5.0, [[20.0, 20.0]]])
    far = np.array([[0.0, 0.0], [5.0, 5.0], [100.0, -100.0]])
    return {
        "kmeans max_iter (blocked)": (lambda: cp.kmeans(X, 2, init=X[[0, 1]], max_iter=1), cp.ConvergenceWarning),
        "kmeans max_iter (plain)": (lambda: cp.kmeans(X, 2, init=X[[0, 1]], max_iter=1, engine="plain"),
                                    cp.ConvergenceWarning),
        "empty cluster (blocked)": (lambda: cp.kmeans(X, 3, init=far), cp.DegenerateWarning),
        "empty cluster (plain)": (lambda: cp.kmeans(X, 3, init=far, engine="plain"), cp.DegenerateWarning),
        "update_centers": (lambda: cp.update_centers(X, np.zeros(7, dtype=int), 2), cp.DegenerateWarning),
        "kmeans_plusplus": (lambda: cp.kmeans_plusplus(np.zeros((4, 1)), 3, seed=0), cp.DegenerateWarning),
        "gmm max_iter": (lambda: cp.gmm(X, 2, max_iter=1, tol=1e-12, seed=0), cp.ConvergenceWarning),
        "soft_kmeans": (lambda: cp.soft_kmeans(X, 2, sigma=3.0, max_iter=1, seed=0), cp.ConvergenceWarning),
        "dp_means": (lambda: cp.dp_means(X, 1.0, max_iter=1), cp.ConvergenceWarning),
    }


@pytest.mark.parametrize("site", list(_warning_sites()))
def test_warnings_point_at_the_callers_line(site):
    import warnings

    call, category = _warning_sites()[site]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    mine = [w for w in caught if issubclass(w.category, category)]
    assert mine, f"{site}: no {category.__name__}"
    for w in mine:
        assert w.filename == __file__, (site, w.filename, str(w.message))
