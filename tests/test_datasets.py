"""Tests of companion.datasets."""

import numpy as np
import pytest

import companion as cp


def test_circle_centers_lie_on_the_circle():
    C = cp.circle_centers(6, radius=3.0)
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 3.0)


def test_make_blobs_statistics():
    centers = [[0.0, 0.0], [10.0, 0.0]]
    X, y = cp.make_blobs(20_000, centers, std=[0.5, 2.0], weights=[0.25, 0.75], seed=0)
    assert abs(y.mean() - 0.75) < 0.02
    np.testing.assert_allclose(X[y == 0].std(axis=0), 0.5, rtol=0.05)
    np.testing.assert_allclose(X[y == 1].std(axis=0), 2.0, rtol=0.05)
    a, _ = cp.make_blobs(10, centers, seed=1)
    b, _ = cp.make_blobs(10, centers, seed=1)
    np.testing.assert_array_equal(a, b)


def test_make_anisotropic_blobs_covariance():
    cov = np.array([[3.0, 1.2], [1.2, 1.0]])
    X, y = cp.make_anisotropic_blobs(20_000, [[0.0, 0.0]], [cov], seed=0)
    np.testing.assert_allclose(np.cov(X.T), cov, atol=0.08)


def test_bad_std():
    with pytest.raises(ValueError, match="std must be positive"):
        cp.make_blobs(5, [[0.0]], std=0.0)
