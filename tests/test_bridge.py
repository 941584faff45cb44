"""Tests of companion.bridge: soft k-means tends to k-means, the classification likelihood is -J/(2 sigma^2) + const."""

import warnings

import numpy as np
import pytest

import companion as cp


def overlapping(seed=0, n=400, radius=2.0, k=3):
    return cp.make_blobs(n, cp.circle_centers(k, radius), std=1.0, seed=seed)[0]


@pytest.mark.parametrize("seed", range(4))
def test_small_sigma_iterates_equal_lloyd_iterates(seed):
    X = overlapping(seed)
    init = cp.kmeans_plusplus(X, 3, seed=seed)
    hard = cp.kmeans(X, 3, init=init)
    soft = cp.soft_kmeans(X, 3, sigma=1e-4, init=init)
    assert soft.converged and hard.converged
    assert soft.n_iter == hard.n_iter
    np.testing.assert_allclose(soft.history.means, hard.history.centers, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(soft.labels, hard.labels)
    np.testing.assert_array_equal(soft.responsibilities, np.eye(3)[hard.labels])


def test_an_empty_cluster_keeps_its_mean_with_a_warning_where_kmeans_relocates_it():
    # centre 2 at 8 explains no point: kmeans moves it to x = -4, soft k-means keeps it
    # (the likelihood_to_l2 chapter's example of the three rules for an empty cluster)
    X = np.array([[0.0], [1.0], [2.0], [3.0], [-4.0]])
    mu0 = np.array([[0.4], [8.0]])
    with pytest.warns(cp.DegenerateWarning, match="empty"):
        km = cp.kmeans(X, 2, init=mu0)
    assert km.centers.ravel().tolist() == [1.5, -4.0] and km.objective == pytest.approx(5.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        soft = cp.soft_kmeans(X, 2, sigma=0.1, init=mu0, tol=1e-12, max_iter=100)
    kept = [w for w in caught if issubclass(w.category, cp.DegenerateWarning)]
    assert len(kept) == 1 and "keep their previous means" in str(kept[0].message)
    assert kept[0].filename == __file__  # pointed at the caller
    assert soft.converged and soft.n_iter == 1  # every point stays with centre 1, at its mean 0.4
    np.testing.assert_allclose(soft.means.ravel(), [0.4, 8.0], rtol=1e-15)
    # at a larger sigma the empty centre gets some responsibility and moves (no warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cp.DegenerateWarning)
        one = cp.soft_kmeans(X, 2, sigma=0.3, init=mu0, max_iter=1, tol=1.0)
    assert one.means[1, 0] == pytest.approx(3.0, abs=1e-6)


def test_moderate_sigma_is_not_kmeans_on_overlapping_clusters():
    # two overlapping clusters: soft EM's means are pulled towards each other
    X = cp.make_blobs(600, [[-1.0, 0.0], [1.0, 0.0]], std=1.0, seed=3)[0]
    init = np.array([[-1.0, 0.0], [1.0, 0.0]])
    hard = cp.kmeans(X, 2, init=init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        soft = cp.soft_kmeans(X, 2, sigma=1.0, init=init, tol=1e-10, max_iter=2000)
    gap_hard = np.linalg.norm(hard.centers[0] - hard.centers[1])
    gap_soft = np.linalg.norm(soft.means[0] - soft.means[1])
    assert np.abs(soft.means - hard.centers).max() > 0.1
    assert gap_soft < gap_hard - 0.2


def test_large_sigma_responsibilities_are_uniform_and_means_collapse():
    X = overlapping(1)
    init = X[:3].copy()
    R = cp.soft_responsibilities(X, init, 1e6)
    np.testing.assert_allclose(R, 1 / 3, atol=1e-9)
    with pytest.warns(cp.ConvergenceWarning):
        r = cp.soft_kmeans(X, 3, sigma=1e6, init=init, max_iter=1)
    np.testing.assert_allclose(r.means, np.broadcast_to(X.mean(axis=0), (3, 2)), atol=1e-9)


def test_responsibilities_are_the_gmm_responsibilities_of_the_isotropic_model():
    X = overlapping(2, n=100)
    mu = X[:3].copy()
    for sigma in (0.3, 1.0, 3.0):
        params = cp.GMMParams(np.full(3, 1 / 3), mu, np.full(3, sigma**2), "spherical")
        R, ll = cp.e_step(X, params)
        np.testing.assert_allclose(cp.soft_responsibilities(X, mu, sigma), R, atol=1e-12)
        assert cp.isotropic_log_likelihood(X, mu, sigma) == pytest.approx(ll, rel=1e-12)


@pytest.mark.parametrize("sigma", [1e-300, 1e-30, 1e30, 1e300])
def test_extreme_sigma_gives_finite_responsibilities(sigma):
    X = overlapping(3, n=50)
    R = cp.soft_responsibilities(X, X[:3], sigma)
    assert np.isfinite(R).all()
    np.testing.assert_allclose(R.sum(axis=1), 1.0)


def test_classification_log_likelihood_is_minus_J_over_2_sigma2_plus_const():
    X = overlapping(4)
    r = cp.kmeans(X, 3, seed=0)
    n, d = X.shape
    for sigma in (0.1, 1.0, 10.0):
        const = -n * np.log(3) - 0.5 * n * d * np.log(2 * np.pi * sigma**2)
        for centers in r.history.centers:
            labels = cp.assign(X, centers)
            J = cp.kmeans_objective(X, centers, labels)
            lc = cp.classification_log_likelihood(X, centers, labels, sigma)
            assert lc == pytest.approx(const - J / (2 * sigma**2), rel=1e-12)
            # and it equals the expected complete-data log-likelihood at one-hot responsibilities
            params = cp.GMMParams(np.full(3, 1 / 3), centers, np.full(3, sigma**2), "spherical")
            q = cp.expected_complete_log_likelihood(X, np.eye(3)[labels], params)
            assert lc == pytest.approx(q, rel=1e-10)


def test_sigma2_times_Q_tends_to_minus_half_J():
    X = overlapping(5)
    mu = cp.kmeans(X, 3, seed=0).centers
    J = cp.kmeans_objective(X, mu, cp.assign(X, mu))
    gaps = []
    for sigma in (1.0, 0.1, 0.01, 0.001):
        R = cp.soft_responsibilities(X, mu, sigma)
        params = cp.GMMParams(np.full(3, 1 / 3), mu, np.full(3, sigma**2), "spherical")
        Q = cp.expected_complete_log_likelihood(X, R, params)
        gaps.append(abs(sigma**2 * Q + J / 2))
    assert all(b < a for a, b in zip(gaps, gaps[1:]))
    assert gaps[-1] < 1e-3 * J


def test_history_and_prediction():
    X = overlapping(6)
    r = cp.soft_kmeans(X, 3, sigma=0.5, seed=0, tol=1e-8, max_iter=500)
    assert r.history.means.shape == (r.n_iter + 1, 3, 2)
    assert np.isnan(r.history.max_change[0]) and r.history.max_change[-1] <= 1e-8
    assert np.all(np.diff(r.history.log_likelihood) >= -1e-9)
    np.testing.assert_allclose(r.predict_proba(X), r.responsibilities, atol=1e-12)
    np.testing.assert_array_equal(r.predict(X), r.labels)


@pytest.mark.parametrize("sigma", [0, -1.0, np.inf, np.nan])
def test_bad_sigma(sigma):
    X = overlapping(7, n=20)
    with pytest.raises(ValueError, match="sigma must be"):
        cp.soft_kmeans(X, 2, sigma=sigma)


def test_sigma_is_required_and_typed():
    X = overlapping(7, n=20)
    with pytest.raises(TypeError):
        cp.soft_kmeans(X, 2)
    with pytest.raises(TypeError, match="sigma must be a real number"):
        cp.soft_kmeans(X, 2, sigma="1")
