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


def test_nearest_of_rows_is_the_full_argmin_bit_for_bit(monkeypatch):
    # integer data and centres at midpoints: exact ties, decided as in the full matrix
    monkeypatch.setattr(numerics, "CHUNK_ROWS", 7)
    rng = np.random.default_rng(4)
    X = rng.integers(0, 5, size=(60, 2)).astype(float)
    C = np.array([[1.0, 1.0], [3.0, 1.0], [2.0, 3.5], [1.0 / 3.0, 2.0]])
    full = np.argmin(numerics._squared_distances(X, C), axis=1)
    for rows in (np.arange(60), np.array([0, 6, 7, 13, 59]), rng.choice(60, 17, replace=False).tolist()):
        rows = np.sort(np.asarray(rows))
        np.testing.assert_array_equal(numerics._nearest_of_rows(X, C, rows), full[rows])
    assert numerics._nearest_of_rows(X, C, np.array([], dtype=int)).size == 0


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
