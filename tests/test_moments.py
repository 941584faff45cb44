"""Tests of companion._moments: centred statistics, Chan's merge, the one M-step; data far from the origin.

Data offset by 1e8 (and by 1.7e9, timestamps in seconds) must give the fits
of the un-offset data shifted back.  The reference data are ``Xo - offset``,
which is exact (Sterbenz), so the two fits see the same numbers.
"""

import warnings
from functools import reduce
from operator import add

import numpy as np
import pytest

import companion as cp
from companion._moments import Moments, gaussian_parameters, weighted_moments

OFFSETS = [1e8, 1.7e9]


def data(n=3000, seed=0):
    return cp.make_blobs(n, cp.circle_centers(3, 4.0), std=1.0, seed=seed)[0]


def offset_pair(off, n=3000):
    Xo = data(n) + off
    return Xo, Xo - off  # the second is exact: the same numbers, moved back


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / max(1.0, float(np.max(np.abs(b)))))


def test_weighted_moments_match_the_definition_and_merge_pairwise():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3)) * [1.0, 2.0, 0.5] + 5.0
    R = rng.dirichlet(np.ones(4), size=200)
    m = weighted_moments(X, R)
    for k in range(4):
        mk = R[:, k] @ X / R[:, k].sum()
        Wk = (R[:, k, None] * (X - mk)).T @ (X - mk)
        np.testing.assert_allclose(m.means[k], mk, rtol=1e-13)
        np.testing.assert_allclose(m.scatter[k], Wk, rtol=1e-12)
    # Chan, Golub and LeVeque: the moments of two halves merge into those of the whole
    a, b = weighted_moments(X[:77], R[:77]), weighted_moments(X[77:], R[77:])
    merged = a.merge(b)
    np.testing.assert_allclose(merged.Nk, m.Nk, rtol=1e-14)
    np.testing.assert_allclose(merged.means, m.means, rtol=1e-13)
    np.testing.assert_allclose(merged.scatter, m.scatter, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(merged.centre, X.mean(axis=0), rtol=1e-13)
    # each layout is the summary of the full scatter that its covariance type needs
    for ctype, expected in [("tied", m.scatter.sum(axis=0)), ("diag", np.diagonal(m.scatter, axis1=1, axis2=2)),
                            ("spherical", np.trace(m.scatter, axis1=1, axis2=2))]:
        np.testing.assert_allclose(weighted_moments(X, R, m.in_layout(ctype).layout).scatter, expected, rtol=1e-12)


def test_a_component_without_weight_gets_the_data_mean():
    X = np.array([[0.0], [2.0], [10.0]])
    R = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    w, mu, cov = gaussian_parameters(weighted_moments(X, R), "full", 0.5)
    np.testing.assert_allclose(mu[1], X.mean(axis=0))
    np.testing.assert_allclose(cov[1], [[0.5]])
    assert np.all(np.isfinite(w)) and w[1] < 1e-14


@pytest.mark.parametrize("off", OFFSETS)
@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_m_step_far_from_the_origin(off, ctype):
    # before centred statistics: tied raised at 1.7e9, diag/spherical lost every digit at 1e8
    Xo, Xr = offset_pair(off)
    p = cp.gmm(Xr, 3, max_iter=3, tol=0, seed=0).params
    R, _ = cp.e_step(Xr, p)
    a, b = cp.m_step(Xo, R, ctype), cp.m_step(Xr, R, ctype)
    assert rel(a.means - off, b.means) < 1e-15 * off  # the data's own rounding: eps * offset
    assert rel(a.covariances, b.covariances) < 1e-12
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-14)


@pytest.mark.parametrize("off", OFFSETS)
@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_statistics_far_from_the_origin(off, ctype):
    Xo, Xr = offset_pair(off)
    p = cp.gmm(Xr, 3, covariance_type="full", max_iter=3, tol=0, seed=0).params
    po = cp.GMMParams(p.weights, p.means + off, p.covariances, "full")
    a = cp.params_from_statistics(reduce(add, (cp.gmm_statistics(b, po) for b in np.array_split(Xo, 5))), ctype)
    b = cp.params_from_statistics(reduce(add, (cp.gmm_statistics(b, p) for b in np.array_split(Xr, 5))), ctype)
    assert rel(a.means - off, b.means) < 1e-15 * off
    assert rel(a.covariances, b.covariances) < 1e-8 * off / 1e8  # the E-step's own rounding on the raw data
    # and the summed statistics give the in-memory M-step
    R, _ = cp.e_step(Xr, p)
    assert rel(b.covariances, cp.m_step(Xr, R, ctype).covariances) < 1e-12


@pytest.mark.parametrize("off", OFFSETS)
@pytest.mark.parametrize("engine", ["plain", "blocked"])
def test_kmeans_fit_far_from_the_origin(off, engine):
    Xo, Xr = offset_pair(off)
    a, b = cp.kmeans(Xo, 3, seed=1, engine=engine), cp.kmeans(Xr, 3, seed=1, engine=engine)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.n_iter == b.n_iter
    assert rel(a.centers - off, b.centers) < 1e-15 * off
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
    np.testing.assert_array_equal(cp.assign(Xo, a.centers), a.labels)


@pytest.mark.parametrize("off", OFFSETS)
@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
@pytest.mark.parametrize("engine", ["plain", "blocked"])
def test_gmm_fit_far_from_the_origin(off, ctype, engine):
    Xo, Xr = offset_pair(off, 1500)
    a = cp.gmm(Xo, 3, covariance_type=ctype, seed=1, engine=engine)
    b = cp.gmm(Xr, 3, covariance_type=ctype, seed=1, engine=engine)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.n_iter == b.n_iter
    assert rel(a.means - off, b.means) < 1e-15 * off
    assert rel(a.covariances, b.covariances) < 1e-9
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-12)
    assert rel(a.responsibilities, b.responsibilities) < 1e-9
