"""Hostile inputs, one row per case, across the public functions of companion.

Each row is ``(id, call, expected)``: ``call`` is a thunk that calls one
public function; ``expected`` is either ``Raises(type, fragment)`` (the
specific error and a fragment of its message) or ``Returns(check)`` (the
call must succeed, without NaN or infinity in the returned arrays, and
``check(result)`` must hold: the *correct* answer, not just no crash).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import companion as cp

# ---------------------------------------------------------------------------- data

RNG = np.random.default_rng(20261126)
#: Two well separated blobs, 20 points each, 2 features.
X2 = np.vstack([RNG.normal(0.0, 1.0, (20, 2)), RNG.normal(8.0, 1.0, (20, 2))])
INIT2 = X2[[0, 20]].copy()
TRUE_LABELS = np.repeat([0, 1], 20)
SPH = cp.GMMParams([0.5, 0.5], [[0.0, 0.0], [8.0, 8.0]], [1.0, 1.0], "spherical")


def readonly(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def km(X, k=2, **kw):
    kw.setdefault("seed", 0)
    return cp.kmeans(X, k, **kw)


def gm(X, k=2, **kw):
    kw.setdefault("seed", 0)
    return cp.gmm(X, k, **kw)


def same_partition(a, b):
    """Labels equal up to a renaming of the clusters."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


REF_KM = cp.kmeans(X2, 2, init=INIT2)
REF_GMM = {
    ct: cp.gmm(X2, 2, covariance_type=ct, seed=0, reg_covar=0.0)
    for ct in cp.COVARIANCE_TYPES
}
REF_SOFT = cp.soft_kmeans(X2, 2, sigma=1.0, init=INIT2)


def scaled_kmeans_ok(s):
    def check(r):
        # J * s^2 is representable for s = 1e+-150; below that it underflows to
        # (nearly) zero, which is then the correctly rounded answer
        J_ok = np.isclose(r.objective / s / s, REF_KM.objective, rtol=1e-12) if 1e-160 < s < 1e150 * 10 else r.objective < 1e-300
        return (
            np.array_equal(r.labels, REF_KM.labels)
            and np.allclose(r.centers / s, REF_KM.centers, rtol=1e-12)
            and J_ok
        )

    return check


def scaled_gmm_ok(s, ct):
    ref = REF_GMM[ct]

    def check(r):
        n, d = X2.shape
        return (
            np.array_equal(r.labels, ref.labels)
            and np.allclose(r.means / s, ref.means, rtol=1e-9, atol=1e-9)
            and np.allclose(r.covariances / s / s, ref.covariances, rtol=1e-9, atol=1e-12)
            and np.isclose(r.log_likelihood, ref.log_likelihood - n * d * np.log(s), rtol=1e-10)
        )

    return check


# ------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Raises:
    exc: type
    fragment: str


@dataclass(frozen=True)
class Returns:
    check: object = None
    #: the documented exception: a log-likelihood or objective below/above the
    #: float range is returned as -inf/inf (e.g. sigma = 1e-300)
    allow_inf: bool = False


#: Documented NaN: the first entry of SoftKMeansHistory.max_change (nothing to compare with).
NAN_FIELDS = {("SoftKMeansHistory", "max_change")}


def _arrays(obj, seen=None):
    """Every ndarray / float reachable from a result (dataclass fields, tuples, dicts)."""
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, (float, np.floating)):
        yield np.asarray(obj)
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _arrays(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _arrays(item)
    elif hasattr(obj, "__dataclass_fields__"):
        for name in obj.__dataclass_fields__:
            value = getattr(obj, name)
            if (type(obj).__name__, name) in NAN_FIELDS:
                value = value[1:]
            yield from _arrays(value)


# ------------------------------------------------------------------------- the table

CASES = [
    # --- data: NaN, inf, empty, wrong dimension, wrong dtype ----------------------
    ("kmeans-nan", lambda: km([[0.0, np.nan], [1.0, 1.0]], 1), Raises(ValueError, "NaN or infinite value(s), the first at [0, 1]")),
    ("kmeans-inf", lambda: km([[0.0, 1.0], [np.inf, 1.0]], 1), Raises(ValueError, "X contains 1 NaN or infinite")),
    ("gmm-neg-inf", lambda: gm(np.array([[-np.inf]] * 3), 1), Raises(ValueError, "NaN or infinite")),
    ("kmeans-empty-rows", lambda: km(np.zeros((0, 2)), 1), Raises(ValueError, "at least 1 sample(s)")),
    ("kmeans-empty-cols", lambda: km(np.zeros((3, 0)), 1), Raises(ValueError, "at least one feature")),
    ("kmeans-1d", lambda: km(np.arange(100.0), 2), Raises(ValueError, "got 1-D shape (100,). Use X.reshape(-1, 1)")),
    ("gmm-3d", lambda: gm(np.zeros((4, 2, 2)), 1), Raises(ValueError, "X.reshape(len(X), -1)")),
    ("soft-0d", lambda: cp.soft_kmeans(np.float64(3.0), 1, sigma=1.0), Raises(ValueError, "got 0-D shape ()")),
    ("kmeans-none", lambda: km(None, 1), Raises(TypeError, "X must be an array of numbers")),
    ("kmeans-string", lambda: km("abc", 1), Raises(TypeError, "got 'abc' of type str")),
    ("kmeans-string-array", lambda: km(np.array([["a", "b"]]), 1), Raises(TypeError, "dtype <U1")),
    ("kmeans-object-array", lambda: km(np.array([[1, None]], dtype=object), 1), Raises(TypeError, "dtype object")),
    ("gmm-complex", lambda: gm(np.ones((3, 2), dtype=complex), 1), Raises(TypeError, "complex dtype complex128. Pass X.real")),
    ("kmeans-ragged", lambda: km([[1.0, 2.0], [3.0]], 1), Raises(ValueError, "same length")),
    ("kmeans-datetime", lambda: km(np.array([["2020-01-01"]], dtype="datetime64[D]"), 1), Raises(TypeError, "datetime64")),
    # --- array-likes that must be accepted and give the same answer -----------------
    ("kmeans-list", lambda: km(X2.tolist(), init=INIT2.tolist()), Returns(lambda r: np.array_equal(r.labels, REF_KM.labels))),
    ("kmeans-tuple", lambda: km(tuple(map(tuple, X2)), init=INIT2), Returns(lambda r: np.array_equal(r.labels, REF_KM.labels))),
    ("kmeans-readonly", lambda: km(readonly(X2), init=readonly(INIT2)), Returns(lambda r: np.array_equal(r.centers, REF_KM.centers))),
    ("kmeans-noncontiguous", lambda: km(np.asfortranarray(np.repeat(X2, 2, axis=1))[:, ::2], init=INIT2), Returns(lambda r: np.array_equal(r.centers, REF_KM.centers))),
    ("kmeans-float32", lambda: km(X2.astype(np.float32), init=INIT2), Returns(lambda r: r.centers.dtype == np.float64 and same_partition(r.labels, TRUE_LABELS))),
    ("kmeans-int", lambda: km(np.array([[0, 0], [0, 1], [10, 0], [10, 1]]), init=np.array([[0, 0], [10, 0]])), Returns(lambda r: r.centers.tolist() == [[0.0, 0.5], [10.0, 0.5]] and r.objective == 1.0)),
    ("kmeans-bool", lambda: km(np.array([[True], [False], [True]]), init=[[0.0], [1.0]]), Returns(lambda r: r.centers.ravel().tolist() == [0.0, 1.0])),
    ("gmm-list", lambda: cp.gmm(X2.tolist(), 2, covariance_type="diag", seed=0, reg_covar=0.0), Returns(lambda r: np.array_equal(r.labels, REF_GMM["diag"].labels))),
    # --- n_clusters / n_components ----------------------------------------------------
    ("kmeans-k-zero", lambda: km(X2, 0), Raises(ValueError, "n_clusters must be between 1 and the number of samples (40); got 0")),
    ("kmeans-k-negative", lambda: km(X2, -3), Raises(ValueError, "got -3")),
    ("kmeans-k-bool", lambda: km(X2, True), Raises(TypeError, "n_clusters must be an integer; got a boolean")),
    ("kmeans-k-float", lambda: km(X2, 2.5), Raises(TypeError, "n_clusters must be an integer; got 2.5")),
    ("kmeans-k-string", lambda: km(X2, "2"), Raises(TypeError, "n_clusters must be an integer")),
    ("kmeans-k-too-large", lambda: km(X2, 41), Raises(ValueError, "number of samples (40); got 41; reduce n_clusters")),
    ("kmeans-k-integral-float", lambda: km(X2, 2.0, init=INIT2), Returns(lambda r: np.array_equal(r.labels, REF_KM.labels))),
    ("kmeans-k-numpy-int", lambda: km(X2, np.int64(2), init=INIT2), Returns(lambda r: np.array_equal(r.labels, REF_KM.labels))),
    ("gmm-k-zero", lambda: gm(X2, 0), Raises(ValueError, "n_components must be between 1")),
    ("gmm-k-too-large", lambda: gm(X2, 50), Raises(ValueError, "n_components must be between 1 and the number of samples (40); got 50")),
    ("soft-k-nan", lambda: cp.soft_kmeans(X2, float("nan"), sigma=1.0), Raises(TypeError, "n_clusters must be an integer")),
    ("plusplus-k-too-large", lambda: cp.kmeans_plusplus(X2[:3], 4, seed=0), Raises(ValueError, "got 4")),
    # --- explicit init -------------------------------------------------------------------
    ("kmeans-init-shape", lambda: km(X2, 2, init=np.zeros((3, 2))), Raises(ValueError, "init must have shape (n_clusters, n_features) = (2, 2); got shape (3, 2)")),
    ("kmeans-init-1d", lambda: km(X2, 2, init=np.zeros(2)), Raises(ValueError, "init must be 2-D")),
    ("kmeans-init-nan", lambda: km(X2, 2, init=[[0.0, np.nan], [1.0, 1.0]]), Raises(ValueError, "init contains 1 NaN")),
    ("soft-init-inf", lambda: cp.soft_kmeans(X2, 2, sigma=1.0, init=[[0.0, np.inf], [1.0, 1.0]]), Raises(ValueError, "init contains")),
    ("kmeans-init-typo", lambda: km(X2, 2, init="kmeans++"), Raises(ValueError, "Did you mean 'k-means++'")),
    ("kmeans-init-case", lambda: km(X2, 2, init="Random"), Raises(ValueError, "Did you mean 'random'")),
    ("gmm-init-typo", lambda: gm(X2, 2, init="kmean"), Raises(ValueError, "Did you mean 'kmeans'")),
    ("gmm-init-wrong-type", lambda: gm(X2, 2, init=3), Raises(TypeError, "init must be")),
    ("gmm-init-params-wrong-k", lambda: gm(X2, 3, init=SPH, covariance_type="spherical"), Raises(ValueError, "init must have 3 components")),
    ("gmm-init-params-wrong-type", lambda: gm(X2, 2, init=SPH), Raises(ValueError, "differs from covariance_type")),
    # --- GMMParams -----------------------------------------------------------------------
    ("params-weights-sum", lambda: cp.GMMParams([0.5, 0.6], [[0.0], [1.0]], [1.0, 1.0], "spherical"), Raises(ValueError, "sum to one; got [0.5, 0.6] (sum 1.1")),
    ("params-weights-negative", lambda: cp.GMMParams([1.5, -0.5], [[0.0], [1.0]], [1.0, 1.0], "spherical"), Raises(ValueError, "non-negative and sum to one")),
    ("params-weights-nan", lambda: cp.GMMParams([np.nan, 0.5], [[0.0], [1.0]], [1.0, 1.0], "spherical"), Raises(ValueError, "weights contains NaN")),
    ("params-cov-asymmetric", lambda: cp.GMMParams([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.0, 1.0]]], "full"), Raises(ValueError, "covariances[0] must be symmetric positive definite")),
    ("params-cov-not-pd", lambda: cp.GMMParams([1.0], [[0.0, 0.0]], [[[1.0, 2.0], [2.0, 1.0]]], "full"), Raises(ValueError, "not positive definite")),
    ("params-tied-not-pd", lambda: cp.GMMParams([1.0], [[0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]], "tied"), Raises(ValueError, "covariances is not positive definite")),
    ("params-diag-zero", lambda: cp.GMMParams([1.0], [[0.0, 0.0]], [[1.0, 0.0]], "diag"), Raises(ValueError, "must be positive variances; got minimum 0.0")),
    ("params-cov-shape", lambda: cp.GMMParams([0.5, 0.5], [[0.0], [1.0]], [1.0], "spherical"), Raises(ValueError, "must have shape (2,); got shape (1,)")),
    ("params-type-typo", lambda: cp.GMMParams([1.0], [[0.0]], [1.0], "sphericl"), Raises(ValueError, "Did you mean 'spherical'")),
    ("params-means-string", lambda: cp.GMMParams([1.0], "abc", [1.0], "spherical"), Raises(TypeError, "means must be an array of numbers")),
    ("params-sample-negative", lambda: SPH.sample(-1, seed=0), Raises(ValueError, "n_samples must be at least 0")),
    # --- covariance_type ---------------------------------------------------------------
    ("gmm-ctype-typo", lambda: gm(X2, 2, covariance_type="diagonal"), Raises(ValueError, "Did you mean 'diag'")),
    ("gmm-ctype-none", lambda: gm(X2, 2, covariance_type=None), Raises(TypeError, "covariance_type must be one of")),
    ("mstep-ctype-typo", lambda: cp.m_step(X2, np.full((40, 2), 0.5), "tide"), Raises(ValueError, "Did you mean 'tied'")),
    # --- sigma ---------------------------------------------------------------------------
    ("soft-sigma-zero", lambda: cp.soft_kmeans(X2, 2, sigma=0.0), Raises(ValueError, "sigma must be positive; got 0.0. Use kmeans")),
    ("soft-sigma-negative", lambda: cp.soft_kmeans(X2, 2, sigma=-1.0), Raises(ValueError, "sigma must be positive; got -1.0")),
    ("soft-sigma-inf", lambda: cp.soft_kmeans(X2, 2, sigma=np.inf), Raises(ValueError, "sigma must be a finite number; got inf")),
    ("soft-sigma-nan", lambda: cp.soft_responsibilities(X2, INIT2, np.nan), Raises(ValueError, "sigma must be a finite number; got nan")),
    ("soft-sigma-string", lambda: cp.isotropic_log_likelihood(X2, INIT2, "1"), Raises(TypeError, "sigma must be a real number; got '1'")),
    ("soft-sigma-complex", lambda: cp.soft_responsibilities(X2, INIT2, 1j), Raises(TypeError, "sigma must be a real number")),
    ("soft-sigma-0d-array", lambda: cp.soft_responsibilities(X2, INIT2, np.array(1.0)), Returns(lambda R: np.allclose(R, cp.soft_responsibilities(X2, INIT2, 1.0)))),
    # --- reg_covar, tol, max_iter ---------------------------------------------------------
    ("gmm-reg-negative", lambda: gm(X2, 2, reg_covar=-1e-6), Raises(ValueError, "reg_covar must be non-negative; got -1e-06")),
    ("gmm-reg-nan", lambda: gm(X2, 2, reg_covar=np.nan), Raises(ValueError, "reg_covar must be a finite number")),
    ("mstep-reg-negative", lambda: cp.m_step(X2, np.full((40, 2), 0.5), "full", reg_covar=-1.0), Raises(ValueError, "reg_covar must be non-negative")),
    ("gmm-tol-negative", lambda: gm(X2, 2, tol=-1.0), Raises(ValueError, "tol must be non-negative; got -1.0")),
    ("soft-tol-negative", lambda: cp.soft_kmeans(X2, 2, sigma=1.0, tol=-0.1), Raises(ValueError, "tol must be non-negative")),
    ("kmeans-maxiter-negative", lambda: km(X2, 2, max_iter=-1), Raises(ValueError, "max_iter must be at least 0; got -1")),
    ("gmm-maxiter-float", lambda: gm(X2, 2, max_iter=1.5), Raises(TypeError, "max_iter must be an integer; got 1.5")),
    ("soft-maxiter-bool", lambda: cp.soft_kmeans(X2, 2, sigma=1.0, max_iter=False), Raises(TypeError, "max_iter must be an integer; got a boolean")),
    # --- seeds ---------------------------------------------------------------------------
    ("seed-string", lambda: km(X2, 2, seed="abc"), Raises(TypeError, "seed must be None, a non-negative integer")),
    ("seed-negative", lambda: km(X2, 2, seed=-1), Raises(ValueError, "seed must be a non-negative integer; got -1")),
    ("seed-float", lambda: gm(X2, 2, seed=1.0), Raises(TypeError, "Use seed=1.")),
    ("seed-bool", lambda: cp.kmeans_plusplus(X2, 2, seed=True), Raises(TypeError, "got a boolean")),
    ("seed-randomstate", lambda: km(X2, 2, seed=np.random.RandomState(0)), Raises(TypeError, "np.random.default_rng")),
    ("seed-generator", lambda: (km(X2, 2, seed=np.random.default_rng(5)), km(X2, 2, seed=5)), Returns(lambda rs: np.array_equal(rs[0].centers, rs[1].centers))),
    ("seed-seedsequence", lambda: (km(X2, 2, seed=np.random.SeedSequence(5)), km(X2, 2, seed=5)), Returns(lambda rs: np.array_equal(rs[0].centers, rs[1].centers))),
    ("seed-bitgenerator", lambda: (km(X2, 2, seed=np.random.PCG64(5)), km(X2, 2, seed=5)), Returns(lambda rs: np.array_equal(rs[0].centers, rs[1].centers))),
    ("seed-numpy-int", lambda: (km(X2, 2, seed=np.uint8(5)), km(X2, 2, seed=5)), Returns(lambda rs: np.array_equal(rs[0].centers, rs[1].centers))),
    # --- step functions: shapes and labels -----------------------------------------------
    ("assign-feature-mismatch", lambda: cp.assign(X2, np.zeros((2, 3))), Raises(ValueError, "centers must have 2 features like X; got shape (2, 3)")),
    ("update-labels-out-of-range", lambda: cp.update_centers(X2, np.full(40, 2), 2), Raises(ValueError, "labels must lie in [0, 2); got values from 2 to 2")),
    ("update-labels-float", lambda: cp.update_centers(X2, np.full(40, 0.5), 2), Raises(TypeError, "labels must be an array of integers")),
    ("update-labels-shape", lambda: cp.update_centers(X2, np.zeros(39, int), 2), Raises(ValueError, "labels must have shape (n_samples,) = (40,); got shape (39,)")),
    ("objective-labels-bool", lambda: cp.kmeans_objective(X2, INIT2, np.zeros(40, bool)), Raises(TypeError, "labels must be an array of integers")),
    ("estep-not-params", lambda: cp.e_step(X2, {"weights": [1.0]}), Raises(TypeError, "params must be a GMMParams; got dict")),
    ("estep-feature-mismatch", lambda: cp.e_step(np.zeros((3, 3)), SPH), Raises(ValueError, "X must have 2 features")),
    ("mstep-resp-rows", lambda: cp.m_step(X2, np.full((40, 2), 0.4), "full"), Raises(ValueError, "rows must sum to one; row 0 sums to 0.8")),
    ("mstep-resp-negative", lambda: cp.m_step(X2, np.tile([[1.5, -0.5]], (40, 1)), "full"), Raises(ValueError, "must be non-negative; got a minimum of -0.5")),
    ("mstep-resp-nan", lambda: cp.m_step(X2, np.full((40, 2), np.nan), "full"), Raises(ValueError, "responsibilities contains 80 NaN")),
    ("ecll-resp-columns", lambda: cp.expected_complete_log_likelihood(X2, np.ones((40, 1)), SPH), Raises(ValueError, "responsibilities must have 2 columns")),
    ("bic-wrong-object", lambda: cp.bic(X2, "model"), Raises(TypeError, "expected a GMMResult or GMMParams; got str")),
    ("lgd-cov-not-pd", lambda: cp.log_gaussian_density(X2, [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), Raises(ValueError, "not positive definite")),
    ("lgd-mean-shape", lambda: cp.log_gaussian_density(X2, [0.0], 1.0), Raises(ValueError, "mean must have shape (n_features,) = (2,)")),
    ("squared-distances-nan-centers", lambda: cp.squared_distances(X2, [[np.nan, 0.0]]), Raises(ValueError, "centers contains 1 NaN")),
    ("datasets-std-zero", lambda: cp.make_blobs(10, [[0.0, 0.0]], std=0.0, seed=0), Raises(ValueError, "std must be positive")),
    ("datasets-n-negative", lambda: cp.make_blobs(-5, [[0.0, 0.0]], seed=0), Raises(ValueError, "n_samples must be at least 0")),
    ("dpmeans-objective-labels-out-of-range", lambda: cp.dp_means_objective(X2, INIT2, np.full(40, 5), 1.0), Raises(ValueError, "labels must lie in [0, 2)")),
    ("dpmeans-objective-feature-mismatch", lambda: cp.dp_means_objective(X2, np.zeros((2, 3)), TRUE_LABELS, 1.0), Raises(ValueError, "centers must have 2 features like X")),
    ("dpmeans-lam-negative", lambda: cp.dp_means(X2, lam=-1.0), Raises(ValueError, "lam must be non-negative")),
    ("anneal-k-too-large", lambda: cp.anneal(X2[:3], 4, sigmas=[1.0]), Raises(ValueError, "n_clusters must be between 1")),
    # --- numerical extremes: correct answers ----------------------------------------------
    ("kmeans-scale-1e150", lambda: km(X2 * 1e150, init=INIT2 * 1e150), Returns(scaled_kmeans_ok(1e150))),
    ("kmeans-scale-1e-150", lambda: km(X2 * 1e-150, init=INIT2 * 1e-150), Returns(scaled_kmeans_ok(1e-150))),
    ("kmeans-scale-1e-200", lambda: km(X2 * 1e-200, init=INIT2 * 1e-200), Returns(scaled_kmeans_ok(1e-200))),
    ("kmeans-scale-1e150-plusplus", lambda: (km(X2 * 1e150, seed=3), km(X2, seed=3)), Returns(lambda rs: np.array_equal(rs[0].labels, rs[1].labels))),
    ("kmeans-scale-1e200-objective-overflows", lambda: km(X2 * 1e200, init=INIT2 * 1e200), Returns(lambda r: np.array_equal(r.labels, REF_KM.labels) and np.allclose(r.centers / 1e200, REF_KM.centers) and r.objective == np.inf, allow_inf=True)),
    *[
        (f"gmm-{ct}-scale-{s:g}", (lambda ct=ct, s=s: gm(X2 * s, covariance_type=ct, reg_covar=0.0)), Returns(scaled_gmm_ok(s, ct)))
        for ct in cp.COVARIANCE_TYPES
        for s in (1e150, 1e-150)
    ],
    ("gmm-scale-1e-150-reg-dominates", lambda: gm(X2 * 1e-150, covariance_type="spherical", reg_covar=1e-6), Returns(lambda r: np.allclose(r.covariances, 1e-6, rtol=1e-12))),
    ("mstep-scale-1e150", lambda: cp.m_step(X2 * 1e150, np.eye(2)[TRUE_LABELS], "tied", reg_covar=0.0), Returns(lambda p: np.allclose(p.covariances * 1e-150 * 1e-150, cp.m_step(X2, np.eye(2)[TRUE_LABELS], "tied", reg_covar=0.0).covariances, rtol=1e-10))),
    ("soft-scale-1e150", lambda: cp.soft_kmeans(X2 * 1e150, 2, sigma=1e150, init=INIT2 * 1e150), Returns(lambda r: np.allclose(r.means / 1e150, REF_SOFT.means, rtol=1e-12) and np.isclose(r.log_likelihood, REF_SOFT.log_likelihood - 80 * np.log(1e150)))),
    ("soft-scale-1e-300", lambda: cp.soft_kmeans(X2 * 1e-300, 2, sigma=1e-300, init=INIT2 * 1e-300), Returns(lambda r: np.allclose(r.means / 1e-300, REF_SOFT.means, rtol=1e-12))),
    ("soft-sigma-1e-300-is-kmeans", lambda: cp.soft_kmeans(X2, 2, sigma=1e-300, init=INIT2), Returns(lambda r: np.allclose(r.means, REF_KM.centers, rtol=1e-12) and set(np.unique(r.responsibilities)) <= {0.0, 1.0} and r.log_likelihood == -np.inf, allow_inf=True)),
    ("gmm-scale-1e200-cov-overflow", lambda: gm(X2 * 1e200), Raises(ValueError, "covariances exceed the float64 range")),
    ("gmm-scale-2e-1000-cov-underflow", lambda: gm(X2 * 2.0**-1000, reg_covar=0.0), Raises(ValueError, "fall below the float64 range")),
    ("soft-sigma-1e300-is-uniform", lambda: cp.soft_kmeans(X2, 2, sigma=1e300, init=INIT2), Returns(lambda r: np.all(r.responsibilities == 0.5) and np.allclose(r.means, X2.mean(axis=0)))),
    ("soft-resp-sigma-1e-300", lambda: cp.soft_responsibilities([[0.0], [1.0]], [[0.0], [2.0]], 1e-300), Returns(lambda R: R.tolist() == [[1.0, 0.0], [0.5, 0.5]])),
    ("classification-ll-sigma-1e-300-J0", lambda: cp.classification_log_likelihood(np.zeros((3, 1)), np.zeros((1, 1)), [0, 0, 0], 1e-300), Returns(lambda v: np.isclose(v, -1.5 * (np.log(2 * np.pi) + 2 * np.log(1e-300))))),
    ("assign-scale-1e300", lambda: cp.assign(X2 * 1e300 / 8, INIT2 * 1e300 / 8), Returns(lambda z: np.array_equal(z, cp.assign(X2, INIT2)))),
    ("objective-scale-1e-300", lambda: cp.kmeans_objective(X2 * 2.0**-500, INIT2 * 2.0**-500, TRUE_LABELS), Returns(lambda J: np.isclose(J * 2.0**1000, cp.kmeans_objective(X2, INIT2, TRUE_LABELS), rtol=1e-12))),
    ("far-point-density-underflow", lambda: cp.e_step(np.array([[0.0, 0.0], [8.0, 8.0], [1e6, 1e6]]), SPH), Returns(lambda out: np.allclose(out[0][2], [0.0, 1.0]) and np.allclose(out[0].sum(axis=1), 1.0))),
    ("lgd-tiny-variance", lambda: cp.log_gaussian_density([[1e-150]], [0.0], 1e-300), Returns(lambda v: np.isclose(v[0], -0.5 * (np.log(2 * np.pi) + np.log(1e-300) + 1.0)))),
    # --- degenerate data -----------------------------------------------------------------
    ("kmeans-identical-points", lambda: km(np.full((6, 2), 3.0), 3), Returns(lambda r: r.objective == 0.0 and np.all(r.centers == 3.0))),
    ("kmeans-fewer-distinct", lambda: km(np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0), 3), Returns(lambda r: r.objective == 0.0 and {tuple(c) for c in r.centers} == {(0.0, 0.0), (1.0, 1.0)})),
    ("kmeans-n-equals-k", lambda: km(X2[:5], 5), Returns(lambda r: r.objective < 1e-25 and np.allclose(sorted(map(tuple, r.centers)), sorted(map(tuple, X2[:5])), rtol=1e-14))),
    ("kmeans-one-feature", lambda: km(np.array([[0.0], [0.1], [9.0], [9.1]]), 2), Returns(lambda r: sorted(r.centers.ravel().round(12).tolist()) == [0.05, 9.05])),
    ("gmm-identical-points", lambda: gm(np.full((6, 2), 3.0), 2, covariance_type="diag"), Returns(lambda r: np.allclose(r.means[np.argmax(r.weights)], 3.0) and np.allclose(r.covariances[np.argmax(r.weights)], 1e-6) and np.isclose(r.weights.max(), 1.0))),
    ("gmm-identical-no-reg", lambda: gm(np.full((6, 2), 3.0), 1, reg_covar=0.0), Raises(ValueError, "Increase reg_covar")),
    ("gmm-fewer-distinct", lambda: gm(np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0), 3), Returns(lambda r: np.isclose(r.weights.sum(), 1.0))),
    ("gmm-n-equals-k", lambda: gm(X2[:4], 4, covariance_type="spherical"), Returns(lambda r: np.allclose(np.sort(r.weights), 0.25))),
    ("gmm-d-much-larger-than-n", lambda: gm(RNG.normal(size=(10, 50)), 2, reg_covar=0.0), Raises(ValueError, "not positive definite (singular or nearly so). Increase reg_covar")),
    ("gmm-d-much-larger-than-n-reg", lambda: gm(RNG.normal(size=(10, 50)), 2, covariance_type="full"), Returns(lambda r: np.isfinite(r.log_likelihood))),
    ("gmm-tied-one-feature", lambda: gm(np.array([[0.0], [0.1], [9.0], [9.1]]), 2, covariance_type="tied"), Returns(lambda r: r.covariances.shape == (1, 1))),
    ("soft-identical-points", lambda: cp.soft_kmeans(np.zeros((4, 2)), 2, sigma=1e-3, seed=0), Returns(lambda r: np.all(r.means == 0.0))),
    # --- empty-cluster policy --------------------------------------------------------------
    ("update-empty-cluster", lambda: cp.update_centers(np.array([[0.0], [1.0], [10.0]]), np.array([0, 0, 0]), 2), Returns(lambda C: C.ravel().tolist() == [11.0 / 3.0, 10.0])),
    ("kmeans-empty-from-bad-init", lambda: km(np.array([[0.0], [1.0], [10.0]]), 2, init=[[0.0], [100.0]]), Returns(lambda r: sorted(r.centers.ravel().tolist()) == [0.5, 10.0])),
]


def _warnings_ok():
    """Only the package's own warnings (and nothing printed) may come out."""


@pytest.mark.parametrize("call, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile(call, expected, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if isinstance(expected, Raises):
            with pytest.raises(expected.exc, match=re.escape(expected.fragment)):
                call()
        else:
            result = call()
            for arr in _arrays(result):
                if arr.dtype.kind == "f":
                    assert not np.isnan(arr).any(), "a returned array contains NaN"
                    if not expected.allow_inf:
                        assert np.isfinite(arr).all(), "a returned array contains infinity"
            if expected.check is not None:
                assert expected.check(result)
    assert capsys.readouterr() == ("", ""), "the library must not print"
    for w in caught:
        assert issubclass(w.category, (cp.ConvergenceWarning, cp.DegenerateWarning)), w


def test_case_count():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES), "case ids must be unique"


# ----------------------------------------------------------------- inputs never modified


def _all_fits(X, init):
    return [
        lambda: cp.kmeans(X, 2, init=init),
        lambda: cp.gmm(X, 2, seed=0),
        lambda: cp.soft_kmeans(X, 2, sigma=1.0, init=init),
        lambda: cp.assign(X, init),
        lambda: cp.update_centers(X, TRUE_LABELS, 2),
        lambda: cp.kmeans_objective(X, init, TRUE_LABELS),
        lambda: cp.kmeans_plusplus(X, 2, seed=0),
        lambda: cp.squared_distances(X, init),
        lambda: cp.soft_responsibilities(X, init, 1.0),
        lambda: cp.isotropic_log_likelihood(X, init, 1.0),
        lambda: cp.classification_log_likelihood(X, init, TRUE_LABELS, 1.0),
        lambda: cp.e_step(X, SPH),
        lambda: cp.log_likelihood(X, SPH),
        lambda: cp.log_gaussian_density(X, init[0], 1.0),
    ]


@pytest.mark.parametrize("scale", [1.0, 1e150, 1e-150])
def test_inputs_are_never_modified(scale):
    X = readonly(X2 * scale)
    init = readonly(INIT2 * scale)
    before = X.copy(), init.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fit in _all_fits(X, init):
            try:
                fit()
            except ValueError:
                pass  # e.g. densities of SPH at 1e200; modification is what matters here
    assert np.array_equal(X, before[0]) and np.array_equal(init, before[1])
    R = readonly(np.eye(2)[TRUE_LABELS])
    cp.m_step(X, R, "diag")
    cp.expected_complete_log_likelihood(X2, R, SPH)
    assert np.array_equal(R, np.eye(2)[TRUE_LABELS])


def test_results_do_not_alias_inputs():
    init = INIT2.copy()
    r = cp.kmeans(X2, 2, init=init, max_iter=0)
    assert not np.shares_memory(r.centers, init)


def test_gmm_params_do_not_freeze_the_callers_arrays():
    w, m, c = np.array([0.5, 0.5]), np.array([[0.0], [1.0]]), np.array([1.0, 1.0])
    cp.GMMParams(w, m, c, "spherical")
    assert w.flags.writeable and m.flags.writeable and c.flags.writeable


# ------------------------------------------------------------------- warnings, never prints


def test_convergence_warning_class_everywhere():
    with pytest.warns(cp.ConvergenceWarning):
        cp.kmeans(X2, 2, max_iter=1, init=[[-5.0, -5.0], [20.0, 20.0]])
    with pytest.warns(cp.ConvergenceWarning):
        cp.gmm(np.random.default_rng(0).normal(size=(60, 2)), 3, max_iter=1, seed=0, tol=1e-12)
    with pytest.warns(cp.ConvergenceWarning):
        cp.soft_kmeans(X2, 2, sigma=3.0, max_iter=1, seed=0)


def test_degenerate_warning_for_empty_clusters_and_duplicates():
    with pytest.warns(cp.DegenerateWarning, match="empty"):
        cp.update_centers(np.array([[0.0], [1.0]]), [0, 0], 2)
    with pytest.warns(cp.DegenerateWarning, match="fewer distinct points"):
        cp.kmeans_plusplus(np.zeros((4, 1)), 3, seed=0)


def test_library_source_never_prints():
    import pathlib

    for path in pathlib.Path(cp.__file__).parent.rglob("*.py"):
        if path.name == "notebook.py":
            continue  # companion.notebook's job is to show values in a reader's notebook
        text = path.read_text()
        assert not re.search(r"^\s*print\(", text, re.M), f"{path.name} prints"
