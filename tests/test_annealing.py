"""Tests of companion.annealing: the first split happens at the predicted critical sigma."""

import warnings

import numpy as np
import pytest

import companion as cp


def test_critical_sigma_is_sqrt_of_largest_covariance_eigenvalue():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3)) * [3.0, 1.0, 0.5]
    lam = np.linalg.eigvalsh(np.cov(X.T, bias=True))[-1]
    assert cp.critical_sigma(X) == pytest.approx(np.sqrt(lam))


@pytest.mark.filterwarnings("ignore::companion.ConvergenceWarning")  # slow steps near the split
@pytest.mark.parametrize("seed", [0, 1])
def test_first_split_within_five_percent_of_prediction(seed):
    X, _ = cp.make_blobs(400, [[-3.0, 0.0], [3.0, 0.0]], std=1.0, seed=seed)
    sc = cp.critical_sigma(X)
    sigmas = np.geomspace(1.5 * sc, 0.3 * sc, 80)
    r = cp.anneal(X, 2, sigmas=sigmas, seed=seed)
    gaps = np.linalg.norm(r.means[:, 0] - r.means[:, 1], axis=1)
    split = np.flatnonzero(gaps > 1e-2 * sc)
    assert split.size > 0
    first = sigmas[split[0]]
    assert abs(first / sc - 1) < 0.05
    # above the critical sigma the means sit at the data mean
    above = sigmas > 1.05 * sc
    np.testing.assert_allclose(r.means[above], np.broadcast_to(X.mean(axis=0), r.means[above].shape), atol=1e-3 * sc)


@pytest.mark.filterwarnings("ignore::companion.ConvergenceWarning")
def test_annealing_ends_at_a_lloyd_fixed_point():
    X, _ = cp.make_blobs(300, cp.circle_centers(4, 5.0), std=1.0, seed=2)
    r = cp.anneal(X, 4, sigmas=cp.geometric_schedule(10.0, 0.05, 60), seed=0)
    np.testing.assert_array_equal(r.labels, cp.assign(X, r.centers))
    np.testing.assert_allclose(r.centers, cp.update_centers(X, r.labels, 4))
    assert r.objective == pytest.approx(cp.kmeans_objective(X, r.centers, r.labels))
    assert r.means.shape == (60, 4, 2) and r.n_iter.shape == (60,)


def test_bad_schedules():
    X = np.arange(10.0).reshape(5, 2)
    with pytest.raises(ValueError, match="non-increasing"):
        cp.anneal(X, 2, sigmas=[1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        cp.anneal(X, 2, sigmas=[1.0, 0.0])
    with pytest.raises(ValueError, match="sigma_min"):
        cp.geometric_schedule(1.0, 2.0, 5)


def test_steps_that_hit_max_iter_warn_and_are_recorded():
    X, _ = cp.make_blobs(200, [[-3.0, 0.0], [3.0, 0.0]], std=1.0, seed=0)
    sigmas = cp.geometric_schedule(1.5 * cp.critical_sigma(X), 0.5, 12)
    with pytest.warns(cp.ConvergenceWarning, match=r"annealing steps stopped at max_iter=3") as caught:
        r = cp.anneal(X, 2, sigmas=sigmas, max_iter=3, seed=0)
    assert caught[0].filename == __file__  # the warning points at the caller's line
    assert r.converged.shape == r.n_iter.shape == (12,)
    assert np.all(r.n_iter[~r.converged] == 3) and not r.converged.all()
    h = r.history
    assert h.means.shape == (13, 2, 2) and h.n_iter[0] == 0 and h.converged[0]
    np.testing.assert_array_equal(h.n_iter[1:], r.n_iter)
    np.testing.assert_array_equal(h.means[1:], r.means)
    np.testing.assert_allclose(h.means[0], np.repeat(X.mean(axis=0, keepdims=True), 2, axis=0))
    # with enough iterations every step converges and nothing is said
    with warnings.catch_warnings():
        warnings.simplefilter("error", cp.ConvergenceWarning)
        r = cp.anneal(X, 2, sigmas=sigmas[-4:], seed=0)
    assert r.converged.all()


def test_final_lloyd_run_is_recorded_and_is_kmeans_from_the_last_means():
    # the annealing editor's reproducer
    X = np.array([[0.0], [0.2], [5.0], [5.2]])
    r = cp.anneal(X, 2, sigmas=np.geomspace(10, 0.05, 30), seed=0)
    assert isinstance(r.lloyd_n_iter, int) and r.lloyd_converged is True
    km = cp.kmeans(X, 2, init=r.means[-1])
    assert (r.lloyd_n_iter, r.lloyd_converged) == (km.n_iter, km.converged)
    np.testing.assert_array_equal(r.centers, km.centers)
    np.testing.assert_array_equal(r.labels, km.labels)
    # a schedule stopped far above the splits: Lloyd has work left to do
    X, _ = cp.make_blobs(300, cp.circle_centers(4, 5.0), std=1.0, seed=2)
    r = cp.anneal(X, 4, sigmas=[20.0], seed=0)
    km = cp.kmeans(X, 4, init=r.means[-1])
    assert r.lloyd_n_iter == km.n_iter > 1 and r.lloyd_converged == km.converged


def test_a_final_lloyd_run_cut_short_warns_and_says_so(monkeypatch):
    from companion import annealing

    monkeypatch.setattr(annealing, "LLOYD_MAX_ITER", 1)
    X, _ = cp.make_blobs(300, cp.circle_centers(4, 5.0), std=1.0, seed=2)
    with pytest.warns(cp.ConvergenceWarning, match=r"k-means did not converge in max_iter=1") as caught:
        r = cp.anneal(X, 4, sigmas=[20.0], seed=0)
    assert caught[0].filename == __file__  # pointed at the caller, like every fit's warning
    assert r.lloyd_n_iter == 1 and r.lloyd_converged is False
