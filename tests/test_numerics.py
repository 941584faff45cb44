"""Tests of companion.numerics against the plain formulas."""

import numpy as np
import pytest

import companion as cp
from companion import numerics


def test_squared_distances_match_broadcast_formula_across_chunks(monkeypatch):
    monkeypatch.setattr(numerics, "CHUNK_ROWS", 7)
    rng = np.random.default_rng(0)
    X, C = rng.normal(size=(50, 3)), rng.normal(size=(4, 3))
    ref = ((X[:, None] - C[None]) ** 2).sum(axis=2)
    np.testing.assert_allclose(cp.squared_distances(X, C), ref, atol=1e-12)


@pytest.mark.parametrize("far", [False, True])
def test_nearest_of_rows_is_the_full_argmin_bit_for_bit(monkeypatch, far, far_apart):
    # integer data and centres at midpoints: exact ties, decided as in the full computation;
    # and far-apart clusters, where most rows are recomputed from differences
    monkeypatch.setattr(numerics, "CHUNK_ROWS", 7)
    rng = np.random.default_rng(4)
    if far:
        X, C = far_apart.data(1e8, n=20)
    else:
        X = rng.integers(0, 5, size=(60, 2)).astype(float)
        C = np.array([[1.0, 1.0], [3.0, 1.0], [2.0, 3.5], [1.0 / 3.0, 2.0]])
    full = numerics._nearest(X, C)
    np.testing.assert_array_equal(full, far_apart.labels(X, C))
    for rows in (np.arange(60), np.array([0, 6, 7, 13, 59]), rng.choice(60, 17, replace=False).tolist()):
        rows = np.sort(np.asarray(rows))
        np.testing.assert_array_equal(numerics._nearest_of_rows(X, C, rows), full[rows])
    assert numerics._nearest_of_rows(X, C, np.array([], dtype=int)).size == 0


def _hostile(rng):
    """Data far from the origin, clusters far apart, flat directions: where the expansion loses digits."""
    d, k, n = int(rng.integers(1, 7)), int(rng.integers(1, 6)), 150
    scale = 10.0 ** rng.uniform(-3, 3)
    offset = 10.0 ** rng.uniform(0, 9) * rng.integers(0, 2)
    means = rng.normal(size=(k, d)) * 10.0 ** rng.uniform(0, 8) * scale + offset
    X = means[rng.integers(k, size=n)] + rng.normal(size=(n, d)) * scale
    if rng.random() < 0.3:
        X[:, 0] = means[0, 0] + rng.normal(size=n) * scale * 1e-6  # an almost flat direction
    return X, means


def test_the_rounding_bound_of_the_expansion_holds_on_hostile_data(far_apart):
    # |fl(||x||^2 - 2 x.mu + ||mu||^2) - ||x - mu||^2| <= beta_D (||x||^2 + ||mu||^2), about a
    # shifted origin too (eq-scale-expanded-bound, with room); and for the differences of the
    # form without ||x||^2 that the assignment steps compare
    rng = np.random.default_rng(11)
    worst = 0.0
    for _ in range(200):
        X, C = _hostile(rng)
        c = C.mean(axis=0)
        Xc, Cc = X - c, C - c
        exact = far_apart.distances(X, C)
        B = numerics.expansion_error_coefficient(X.shape[1]) * (
            np.einsum("nd,nd->n", Xc, Xc)[:, None] + np.einsum("kd,kd->k", Cc, Cc)[None, :]
        )
        worst = max(worst, float(np.max(np.abs(numerics._squared_distances_expanded(Xc, Cc) - exact) / B)))
        m2C, c_sq_rows, _, _ = numerics._nearest_terms(Cc, X.shape[0])
        lean = numerics._nearest_chunk(Xc, m2C, c_sq_rows, np.empty(exact.shape))
        gaps = np.abs((lean - lean[:, :1]) - (exact - exact[:, :1]))
        worst = max(worst, float(np.max(gaps / (B + B[:, :1]))))
    assert worst <= 1.0


def test_squared_distances_relative_error_on_hostile_data(far_apart):
    rng = np.random.default_rng(12)
    for _ in range(200):
        X, C = _hostile(rng)
        exact = far_apart.distances(X, C)
        got = cp.squared_distances(X, C)
        assert np.all(np.abs(got - exact) <= numerics.DISTANCE_RTOL * exact)


@pytest.mark.parametrize("f", [1e7, 1e8])
def test_squared_distances_far_apart_clusters(f, far_apart):
    X, C = far_apart.data(f)
    exact = far_apart.distances(X, C)
    got = cp.squared_distances(X, C)
    np.testing.assert_allclose(got, exact, rtol=numerics.DISTANCE_RTOL, atol=0)
    np.testing.assert_array_equal(np.argmin(got, axis=1), far_apart.labels(X, C))


def test_squared_distances_far_from_the_origin():
    # the scaling_out editor's reproducer: 66% of argmins were wrong at an offset of 1.7e9
    X = cp.make_blobs(20_000, cp.circle_centers(3, 3.0), std=1.0, seed=7)[0]
    C = cp.kmeans_plusplus(X, 3, seed=0)
    far = cp.squared_distances(X + 1.7e9, C + 1.7e9)
    np.testing.assert_array_equal(np.argmin(far, axis=1), cp.assign(X, C))
    np.testing.assert_allclose(far, cp.squared_distances(X, C), rtol=1e-5)  # the shift itself rounds


def test_nearest_is_the_difference_argmin_on_hostile_data(far_apart):
    rng = np.random.default_rng(13)
    for _ in range(200):
        X, C = _hostile(rng)
        ref = far_apart.labels(X, C)
        np.testing.assert_array_equal(numerics._nearest(X, C), ref)
        np.testing.assert_array_equal(numerics._nearest(X, C, centre=C.mean(axis=0)), ref)
        np.testing.assert_array_equal(cp.assign(X, C), ref)


@pytest.mark.parametrize("seed", range(4))
def test_the_certificates_change_nothing_on_ordinary_data(monkeypatch, seed):
    # blobs of every shape: no row is recomputed, and the labels and responsibilities are bit
    # for bit those of the expanded forms alone (certificates switched off); squared_distances
    # recomputes only entries of points very near a centre (its relative-error guarantee)
    rng = np.random.default_rng(seed)
    k, d = int(rng.integers(2, 9)), int(rng.integers(1, 9))
    X = cp.make_blobs(3000, rng.normal(size=(k, d)) * 5, std=rng.uniform(0.2, 2.0), seed=seed)[0]
    C = X[rng.choice(3000, k, replace=False)] + rng.normal(size=(k, d)) * 0.1
    params = [cp.gmm(X, k, covariance_type=t, max_iter=2, tol=0, seed=seed).params for t in cp.COVARIANCE_TYPES]
    recomputed = []
    original = numerics._difference_distances
    monkeypatch.setattr(numerics, "_difference_distances", lambda *a: recomputed.append(1) or original(*a))
    labels, fits = cp.assign(X, C), [cp.e_step(X, p) for p in params]
    D = cp.squared_distances(X, C)
    assert not recomputed
    monkeypatch.setattr(numerics, "expansion_error_coefficient", lambda d: 0.0)
    monkeypatch.setattr(numerics, "LOG_DENSITY_ATOL", np.inf)
    np.testing.assert_array_equal(cp.assign(X, C), labels)
    D0 = cp.squared_distances(X, C)
    np.testing.assert_allclose(D, D0, rtol=numerics.DISTANCE_RTOL, atol=0)
    assert np.count_nonzero(D != D0) <= 1e-3 * D.size
    for p, (R, ll) in zip(params, fits):
        R0, ll0 = cp.e_step(X, p)
        np.testing.assert_array_equal(R0, R)
        assert ll0 == ll


@pytest.mark.parametrize("f", [1e7, 1e8])
@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_log_densities_far_apart_clusters(f, ctype, far_apart):
    X, C = far_apart.data(f, n=1000)
    params = cp.GMMParams([0.2, 0.3, 0.5], C, _unit_covariances(ctype, 3, 2), ctype)
    got, ref = params.log_prob_components(X), far_apart.log_terms(X, params)
    # the terms that matter (within 45 of their row's largest) to 1e-10 each, the others
    # (responsibilities below 3e-20, values near -1e14) to their relative rounding
    matters = ref >= ref.max(axis=1, keepdims=True) - numerics.LOG_DENSITY_CUTOFF
    np.testing.assert_allclose(got[matters], ref[matters], rtol=0, atol=2 * numerics.LOG_DENSITY_ATOL)
    np.testing.assert_allclose(got[~matters], ref[~matters], rtol=1e-12)


def _unit_covariances(ctype, k, d):
    rng = np.random.default_rng(0)
    if ctype == "full":
        return np.array([np.eye(d) * s for s in rng.uniform(0.5, 2, k)])
    if ctype == "tied":
        return np.array([[1.5, 0.3], [0.3, 0.8]])
    if ctype == "diag":
        return rng.uniform(0.5, 2, (k, d))
    return rng.uniform(0.5, 2, k)


def test_squared_distances_are_never_negative():
    X = np.full((10, 2), 1e8) + np.arange(10)[:, None] * 1e-8
    assert (cp.squared_distances(X, X[:1]) >= 0).all()


def test_logsumexp_is_stable():
    a = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, 0.0], [-np.inf, -np.inf]])
    out = cp.logsumexp(a, axis=1)
    np.testing.assert_allclose(out[:3], [1000 + np.log(2), -1000 + np.log(2), 0.0])
    assert out[3] == -np.inf


@pytest.mark.parametrize("d", [1, 2, 5])
def test_log_gaussian_density_against_textbook_formula(d):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(30, d))
    mean = rng.normal(size=d)
    A = rng.normal(size=(d, d))
    cov = A @ A.T + 0.5 * np.eye(d)
    diff = X - mean
    ref = -0.5 * (d * np.log(2 * np.pi) + np.log(np.linalg.det(cov)) + np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff))
    np.testing.assert_allclose(cp.log_gaussian_density(X, mean, cov), ref, rtol=1e-10)
    # diagonal and scalar covariances
    var = np.abs(rng.normal(size=d)) + 0.1
    np.testing.assert_allclose(cp.log_gaussian_density(X, mean, var), cp.log_gaussian_density(X, mean, np.diag(var)), rtol=1e-12)
    np.testing.assert_allclose(cp.log_gaussian_density(X, mean, 2.0), cp.log_gaussian_density(X, mean, 2.0 * np.eye(d)), rtol=1e-12)


def test_log_gaussian_density_far_away_is_finite():
    out = cp.log_gaussian_density(np.array([[1e6]]), [0.0], 1e-6)
    assert np.isfinite(out).all() and out[0] < -1e17


def test_log_gaussian_density_bad_covariance():
    with pytest.raises(ValueError, match="not positive definite"):
        cp.log_gaussian_density(np.zeros((2, 2)), [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="covariance must be"):
        cp.log_gaussian_density(np.zeros((2, 2)), [0.0, 0.0], np.ones((3, 3)))
    with pytest.raises(ValueError, match="positive"):
        cp.log_gaussian_density(np.zeros((2, 2)), [0.0, 0.0], -1.0)
    with pytest.raises(ValueError, match="mean must have shape"):
        cp.log_gaussian_density(np.zeros((2, 2)), [0.0], 1.0)
