"""Tests of companion.kmeans: oracle (scikit-learn), properties, the two steps, bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import companion as cp


def sklearn_cluster():
    """scikit-learn's cluster module; only the oracle tests need it (they skip without it)."""
    return pytest.importorskip("sklearn.cluster")


def blobs(n=400, k=4, std=1.0, radius=4.0, seed=0, d=2):
    X, y = cp.make_blobs(n, cp.circle_centers(k, radius, n_features=d), std=std, seed=seed)
    return X, y


def brute_assign(X, centers):
    """Reference: the plain broadcast formula for squared distances."""
    D2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(D2, axis=1)


# --- oracle ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("shape", [(300, 2, 3), (500, 5, 6), (200, 1, 4)])
def test_matches_sklearn_lloyd_from_same_init(seed, shape):
    n, d, k = shape
    X, _ = blobs(n, k, std=1.5, seed=seed, d=max(d, 2))
    X = X[:, :d]
    init = cp.kmeans_plusplus(X, k, seed=seed)
    ours = cp.kmeans(X, k, init=init)
    ref = sklearn_cluster().KMeans(k, init=init, n_init=1, algorithm="lloyd", tol=0).fit(X)
    assert ours.converged
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, rtol=0, atol=1e-10)
    assert ours.objective == pytest.approx(ref.inertia_, rel=1e-10)


# --- the two steps -------------------------------------------------------------


def test_assign_matches_brute_force():
    rng = np.random.default_rng(1)
    X, C = rng.normal(size=(257, 3)), rng.normal(size=(7, 3))
    np.testing.assert_array_equal(cp.assign(X, C), brute_assign(X, C))


def test_assign_ties_go_to_lowest_index():
    X = np.array([[0.0, 0.0]])
    C = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert cp.assign(X, C).tolist() == [0]


def test_update_centers_is_the_cluster_mean():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 3))
    labels = rng.integers(0, 4, size=100)
    labels[:4] = np.arange(4)
    centers = cp.update_centers(X, labels, 4)
    for k in range(4):
        np.testing.assert_allclose(centers[k], X[labels == k].mean(axis=0), atol=1e-14)


def test_update_centers_empty_cluster_policy():
    X = np.array([[0.0], [1.0], [2.0], [10.0]])
    labels = np.array([0, 0, 0, 0])
    with pytest.warns(cp.DegenerateWarning, match="empty"):
        centers = cp.update_centers(X, labels, 3)
    # cluster 0 is the mean 3.25; clusters 1 and 2 take the farthest points, in order
    np.testing.assert_allclose(centers.ravel(), [3.25, 10.0, 0.0])
    assert np.isfinite(centers).all()


def test_objective_matches_definition():
    rng = np.random.default_rng(3)
    X, C = rng.normal(size=(50, 2)), rng.normal(size=(3, 2))
    labels = rng.integers(0, 3, size=50)
    expected = sum(float(np.sum((X[n] - C[labels[n]]) ** 2)) for n in range(50))
    assert cp.kmeans_objective(X, C, labels) == pytest.approx(expected, rel=1e-12)


# --- the fit -------------------------------------------------------------------


def test_history_layout_and_final_consistency():
    X, _ = blobs(seed=4)
    r = cp.kmeans(X, 4, seed=4)
    h = r.history
    assert h.objective.shape == (r.n_iter + 1,)
    assert h.centers.shape == (r.n_iter + 1, 4, 2)
    assert h.n_changed.shape == (r.n_iter + 1,)
    assert h.n_changed[0] == X.shape[0]
    assert r.converged and h.n_changed[-1] == 0
    np.testing.assert_array_equal(h.centers[-1], r.centers)
    np.testing.assert_array_equal(r.labels, cp.assign(X, r.centers))
    assert r.objective == pytest.approx(cp.kmeans_objective(X, r.centers, r.labels))
    np.testing.assert_array_equal(r.predict(X), r.labels)


def test_each_iteration_is_one_update_then_one_assignment():
    X, _ = blobs(seed=5, std=2.0)
    init = X[:4].copy()
    r = cp.kmeans(X, 4, init=init)
    centers, labels = init, cp.assign(X, init)
    for t in range(1, r.n_iter + 1):
        centers = cp.update_centers(X, labels, 4)
        previous, labels = labels, cp.assign(X, centers)
        # (the fit updates cluster sums with the moved points only: another
        # order of summation, so equal to rounding rather than bit for bit)
        np.testing.assert_allclose(r.history.centers[t], centers, rtol=0, atol=1e-12 * np.abs(X).max())
        assert r.history.n_changed[t] == np.count_nonzero(labels != previous)
        assert r.history.objective[t] == pytest.approx(cp.kmeans_objective(X, centers, labels))


def test_max_iter_zero_returns_init_and_max_iter_warns():
    X, _ = blobs(seed=6, std=3.0)
    init = X[:4].copy()
    r0 = cp.kmeans(X, 4, init=init, max_iter=0)
    np.testing.assert_array_equal(r0.centers, init)
    assert r0.n_iter == 0 and not r0.converged
    with pytest.warns(cp.ConvergenceWarning, match="max_iter=1"):
        r1 = cp.kmeans(X, 4, init=init, max_iter=1)
    assert r1.n_iter == 1 and not r1.converged


def test_random_init_uses_distinct_data_points():
    X = np.repeat(np.arange(10.0)[:, None], 1, axis=1)
    r = cp.kmeans(X, 10, init="random", seed=0, max_iter=0)
    assert sorted(r.centers.ravel().tolist()) == list(range(10))


def test_kmeans_plusplus_picks_data_points_and_spreads_out():
    X, _ = blobs(k=5, radius=20.0, std=0.1, seed=7)
    C = cp.kmeans_plusplus(X, 5, seed=0)
    assert all(any(np.array_equal(c, x) for x in X) for c in C)
    # with far-apart tight blobs, D^2 sampling puts one seed in each blob
    assert len(set(brute_assign(C, cp.circle_centers(5, 20.0)).tolist())) == 5


def test_kmeans_plusplus_with_fewer_distinct_points_than_clusters():
    X = np.array([[0.0], [0.0], [0.0], [1.0]])
    with pytest.warns(cp.DegenerateWarning, match="fewer distinct points"):
        C = cp.kmeans_plusplus(X, 3, seed=0)
    assert np.isfinite(C).all() and C.shape == (3, 1)


def seeding_miss_rate(n_local_trials, n_seeds=200):
    """Share of seeds for which k-means++ leaves one of 8 separated blobs without a centre."""
    centers = cp.circle_centers(8, 6.0)
    X, _ = cp.make_blobs(640, centers, std=0.5, seed=0)
    misses = 0
    for s in range(n_seeds):
        C = cp.kmeans_plusplus(X, 8, n_local_trials=n_local_trials, seed=s)
        misses += len(set(brute_assign(C, centers).tolist())) < 8
    return misses / n_seeds


def test_greedy_kmeans_plusplus_misses_blobs_less_often_than_plain():
    plain, greedy = seeding_miss_rate(1), seeding_miss_rate(None)
    # measured: plain 0.50, greedy 0.015 (200 seeds)
    assert greedy < plain / 5 and plain > 0.2 and greedy < 0.05, (plain, greedy)


def test_kmeans_plusplus_with_one_trial_is_plain_d2_sampling():
    # the plain sampler: the first centre uniform, then one D^2 draw per centre
    X, _ = blobs(k=3, seed=1)
    rng = np.random.default_rng(7)
    chosen = [int(rng.integers(X.shape[0]))]
    for _ in range(2):
        d2 = brute_d2(X, X[chosen])
        u = rng.random() * d2.sum()
        chosen.append(int(np.searchsorted(np.cumsum(d2), u, side="right")))
    np.testing.assert_array_equal(cp.kmeans_plusplus(X, 3, n_local_trials=1, seed=7), X[chosen])


def test_greedy_kmeans_plusplus_keeps_the_candidate_that_lowers_the_potential_most():
    X, _ = blobs(k=4, seed=2)
    rng = np.random.default_rng(3)
    trials = 2 + int(np.log(4))
    chosen = [int(rng.integers(X.shape[0]))]
    for _ in range(3):
        d2 = brute_d2(X, X[chosen])
        cand = np.searchsorted(np.cumsum(d2), rng.random(trials) * d2.sum(), side="right")
        pots = [np.minimum(d2, brute_d2(X, X[[c]])).sum() for c in cand]
        chosen.append(int(cand[int(np.argmin(pots))]))
    np.testing.assert_array_equal(cp.kmeans_plusplus(X, 4, seed=3), X[chosen])


def brute_d2(X, C):
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2).min(axis=1)


def test_n_init_returns_the_best_run_and_keeps_every_objective():
    X, _ = blobs(n=300, k=6, std=1.5, seed=3)
    r = cp.kmeans(X, 6, n_init=8, init="random", seed=11)
    assert r.objectives_per_init.shape == (8,)
    assert r.objective == r.objectives_per_init.min()
    # each run is the fit from its own spawned generator
    children = np.random.default_rng(11).spawn(8)
    singles = [cp.kmeans(X, 6, init="random", seed=g).objective for g in children]
    np.testing.assert_array_equal(r.objectives_per_init, singles)
    assert len(set(singles)) > 1  # the runs really differ
    again = cp.kmeans(X, 6, n_init=8, init="random", seed=11)
    np.testing.assert_array_equal(again.centers, r.centers)
    # n_init=1 is the single run from the seed itself, as before restarts existed
    one = cp.kmeans(X, 6, init="random", seed=11)
    np.testing.assert_array_equal(one.objectives_per_init, [one.objective])


def test_n_init_with_explicit_centres_is_rejected():
    X = np.arange(20.0).reshape(10, 2)
    with pytest.raises(ValueError, match="n_init must be 1 when init is an array"):
        cp.kmeans(X, 2, init=X[:2], n_init=3)
    with pytest.raises(ValueError, match="n_init must be at least 1"):
        cp.kmeans(X, 2, n_init=0)
    with pytest.raises(ValueError, match="n_local_trials must be at least 1"):
        cp.kmeans_plusplus(X, 2, n_local_trials=0)


def test_same_seed_same_result():
    X, _ = blobs(seed=8)
    a, b = cp.kmeans(X, 4, seed=123), cp.kmeans(X, 4, seed=123)
    np.testing.assert_array_equal(a.centers, b.centers)
    g = cp.kmeans(X, 4, seed=np.random.default_rng(123))
    np.testing.assert_array_equal(a.centers, g.centers)


# --- exact ties: the result is a fixed point of the two steps ------------------

# Data sets on which a blocked loop that breaks exact ties by rounding stopped
# at labels that are not a fixed point of update_centers + assign (found by
# search on small integer data); the first is the referee's reproducer.
TIE_CASES = [
    ([[3.0], [1.0], [2.0], [7.0], [0.0]], [[0.0], [3.0]]),
    ([[7.0], [1.0], [0.0], [3.0], [2.0]], [[0.0], [3.0]]),
    ([[3.0], [6.0], [1.0], [3.0], [4.0], [7.0]], [[7.0], [1.0]]),
    ([[3.0], [6.0], [6.0], [7.0], [5.0], [3.0]], [[7.0], [6.0]]),
    ([[1.0], [4.0], [7.0], [3.0], [3.0], [6.0]], [[7.0], [1.0]]),
    ([[6.0], [7.0], [0.0], [6.0], [4.0], [1.0]], [[6.0], [4.0]]),
    (
        [[5.0, 3.0], [1.0, 3.0], [1.0, 5.0], [4.0, 7.0], [7.0, 7.0], [2.0, 0.0], [7.0, 2.0]],
        [[1.0, 5.0], [1.0, 3.0], [4.0, 7.0]],
    ),
    ([[3.0], [1.0], [1.0], [1.0], [7.0], [3.0], [0.0], [7.0], [2.0]], [[1.0], [2.0]]),
    ([[1.0], [2.0], [1.0], [1.0], [7.0], [3.0], [4.0], [2.0], [1.0]], [[2.0], [3.0]]),
]


def assert_fixed_point(X, result):
    """``result`` is a fixed point of the book's two steps, with the exact means as centres."""
    k = result.n_clusters
    means = cp.update_centers(X, result.labels, k)
    np.testing.assert_array_equal(cp.assign(X, means), result.labels)
    np.testing.assert_array_equal(result.centers, means)


@pytest.mark.parametrize("engine", ["plain", "blocked"])
def test_exact_tie_reproducer_stops_where_the_plain_steps_stop(engine):
    # x = 3 ties between the centres (1, 5); the lowest index takes it, then (1.5, 7), J = 5
    X = np.array([[3.0], [1.0], [2.0], [7.0], [0.0]])
    r = cp.kmeans(X, 2, init=np.array([[0.0], [3.0]]), engine=engine)
    assert r.converged and r.n_iter == 3
    assert r.centers.ravel().tolist() == [1.5, 7.0]
    assert r.labels.tolist() == [0, 0, 0, 1, 0]
    assert r.objective == 5.0
    assert r.history.n_changed.tolist() == [5, 1, 1, 0]
    assert_fixed_point(X, r)


@pytest.mark.parametrize("X, init", TIE_CASES)
def test_blocked_fit_with_ties_decided_by_rounding_gives_the_plain_fit(X, init):
    X, init = np.array(X), np.array(init)
    plain = cp.kmeans(X, len(init), init=init, engine="plain")
    blocked = cp.kmeans(X, len(init), init=init, engine="blocked")
    assert_fixed_point(X, blocked)
    np.testing.assert_array_equal(blocked.labels, plain.labels)
    np.testing.assert_array_equal(blocked.centers, plain.centers)
    assert blocked.n_iter == plain.n_iter
    np.testing.assert_array_equal(blocked.history.n_changed, plain.history.n_changed)
    assert blocked.objective == pytest.approx(plain.objective, rel=1e-12)


@pytest.mark.parametrize("engine", ["plain", "blocked"])
def test_every_fit_on_small_integer_data_is_a_fixed_point_of_the_two_steps(engine):
    # small integers tie often: a point halfway between two exact means
    rng = np.random.default_rng(2024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.DegenerateWarning)
        for _ in range(600):
            n, d = int(rng.integers(4, 14)), int(rng.integers(1, 3))
            k = int(rng.integers(2, 4))
            X = rng.integers(0, 8, size=(n, d)).astype(float)
            distinct = np.unique(X, axis=0)
            if rng.random() < 0.5 and len(distinct) >= k:
                init = distinct[rng.choice(len(distinct), k, replace=False)]
            else:
                init = "k-means++"
            r = cp.kmeans(X, k, init=init, engine=engine, seed=int(rng.integers(1 << 30)))
            assert r.converged
            assert_fixed_point(X, r)
            assert r.objective == pytest.approx(cp.kmeans_objective(X, r.centers, r.labels), abs=1e-9)


# --- properties ------------------------------------------------------------------

data_strategy = st.builds(
    lambda n, d, k, seed, std: (n, d, k, seed, std),
    st.integers(5, 60),
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(0, 2**31 - 1),
    st.floats(0.3, 3.0),
)


@settings(max_examples=40, deadline=None)
@given(data_strategy)
def test_objective_never_increases(params):
    n, d, k, seed, std = params
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=std, size=(n, d)) + rng.integers(0, 3, size=(n, 1)) * 3.0
    k = min(k, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = cp.kmeans(X, k, seed=seed, init="random")
    J = r.history.objective
    assert np.all(np.diff(J) <= 1e-9 * max(1.0, J[0]))
    assert np.isfinite(r.centers).all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(-50, 50), st.floats(0.01, 100))
def test_equivariance_permutation_translation_scaling(seed, shift, scale):
    rng = np.random.default_rng(seed)
    X, _ = blobs(n=120, k=3, std=0.8, radius=6.0, seed=seed % 1000)
    init = X[rng.choice(120, 3, replace=False)]
    # (the engine users get: engine="auto")
    base = cp.kmeans(X, 3, init=init, max_iter=100)
    perm = rng.permutation(120)
    # permuting rows permutes the labels and leaves the centres
    p = cp.kmeans(X[perm], 3, init=init, max_iter=100)
    np.testing.assert_array_equal(p.labels, base.labels[perm])
    np.testing.assert_allclose(p.centers, base.centers, atol=1e-9)
    # translating and scaling the data moves and scales the centres, J scales by scale^2
    t = cp.kmeans(X * scale + shift, 3, init=init * scale + shift, max_iter=100)
    np.testing.assert_array_equal(t.labels, base.labels)
    np.testing.assert_allclose(t.centers, base.centers * scale + shift, rtol=1e-8, atol=1e-8 * (abs(shift) + scale))
    assert t.objective == pytest.approx(base.objective * scale**2, rel=1e-8)


def test_inputs_are_never_modified():
    X, _ = blobs(seed=9)
    init = X[:4].copy()
    X.setflags(write=False)
    init.setflags(write=False)
    labels = cp.assign(X, init)
    labels.setflags(write=False)
    X0, init0, labels0 = X.copy(), init.copy(), labels.copy()
    cp.kmeans(X, 4, init=init)
    cp.update_centers(X, labels, 4)
    cp.kmeans_objective(X, init, labels)
    cp.kmeans_plusplus(X, 4, seed=0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(init, init0)
    np.testing.assert_array_equal(labels, labels0)


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_clusters": 0}, ValueError, "n_clusters must be between 1"),
        ({"n_clusters": 11}, ValueError, "n_clusters must be between 1 and the number of samples"),
        ({"n_clusters": 2.5}, TypeError, "n_clusters must be an integer"),
        ({"n_clusters": True}, TypeError, "n_clusters must be an integer"),
        ({"n_clusters": 2, "init": "kmeans+"}, ValueError, r"Did you mean 'k-means\+\+'"),
        ({"n_clusters": 2, "init": np.zeros((3, 2))}, ValueError, r"init must have shape"),
        ({"n_clusters": 2, "init": np.full((2, 2), np.nan)}, ValueError, "init contains"),
        ({"n_clusters": 2, "max_iter": -1}, ValueError, "max_iter must be at least 0"),
        ({"n_clusters": 2, "seed": "abc"}, TypeError, "seed must be"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    X = np.arange(20.0).reshape(10, 2)
    with pytest.raises(exc, match=match):
        cp.kmeans(X, **kwargs)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN or infinite"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), "NaN or infinite"),
        (np.arange(5.0), r"Use X.reshape\(-1, 1\)"),
        (np.zeros((2, 2, 2)), "X must be 2-D"),
        (np.zeros((0, 2)), "at least 1 sample"),
    ],
)
def test_bad_data(X, match):
    with pytest.raises(ValueError, match=match):
        cp.kmeans(X, 1)


def test_best_of_runs_prefers_runs_it_does_not_reject():
    from companion.kmeans import best_of_runs

    values = iter([3.0, 1.0, 2.0, 1.5])
    best, scores, rejected = best_of_runs(lambda rng: next(values), 4, np.random.default_rng(0),
                                          lambda v: v, reject=lambda v: v < 1.2)
    assert best == 1.5 and scores.tolist() == [3.0, 1.0, 2.0, 1.5]
    assert rejected.tolist() == [False, True, False, False]
    values = iter([3.0, 1.0])  # every run rejected: the best of them
    best, _, rejected = best_of_runs(lambda rng: next(values), 2, np.random.default_rng(0),
                                     lambda v: v, reject=lambda v: True)
    assert best == 1.0 and rejected.all()


@pytest.mark.parametrize("engine", ["plain", "blocked"])
def test_n_init_labels_belong_to_the_returned_centres(engine):
    # the engine is shared by the runs: a later run must not overwrite the kept run's labels
    X = cp.load_faithful().data
    r = cp.kmeans(X, 3, n_init=20, seed=0, engine=engine)
    d2 = ((X[:, None, :] - r.centers[None]) ** 2).sum(axis=2)
    # every label is a nearest centre (up to rounding at exact ties: the blocked engine
    # computes distances another way, see the package requests on ties)
    own = d2[np.arange(len(X)), r.labels]
    np.testing.assert_allclose(own, d2.min(axis=1), rtol=1e-9, atol=1e-9)
    assert cp.kmeans_objective(X, r.centers, r.labels) == pytest.approx(r.objective, rel=1e-12)


@pytest.mark.parametrize("f", [1e7, 1e8])
def test_assign_far_apart_clusters_is_the_difference_argmin(f, far_apart):
    # the round-2 referee's construction: 1.8% of labels were wrong at f = 1e8
    X, C = far_apart.data(f)
    np.testing.assert_array_equal(cp.assign(X, C), far_apart.labels(X, C))
    # centres moved off the truth: the Voronoi boundaries cut through the clusters
    C2 = C + np.array([[0.0, 0.3], [0.7, 0.0], [-0.4, 0.2]])
    np.testing.assert_array_equal(cp.assign(X, C2), far_apart.labels(X, C2))


@pytest.mark.parametrize("f", [1e7, 1e8])
@pytest.mark.parametrize("engine", ["plain", "blocked"])
def test_kmeans_far_apart_clusters_is_the_difference_lloyd(f, engine, far_apart):
    # from a start off the truth (the boundary between the two close clusters moves):
    # the iterates of Lloyd's algorithm with differences, labels exactly, centres to rounding
    X, C = far_apart.data(f)
    init = C + np.array([[0.0, 0.3], [0.7, 0.0], [-0.4, 0.2]])
    centers, labels, n_iter = far_apart.lloyd(X, init)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cp.ConvergenceWarning)
        r = cp.kmeans(X, 3, init=init, engine=engine)
    assert r.converged and r.n_iter == n_iter
    np.testing.assert_array_equal(r.labels, labels)
    np.testing.assert_allclose(r.centers, centers, rtol=0, atol=16 * np.spacing(f))
    np.testing.assert_array_equal(cp.assign(X, r.centers), r.labels)


@pytest.mark.parametrize("engine", ["plain", "blocked"])
def test_duplicate_centres_do_not_make_the_loop_cycle(engine):
    # k-means++ on 3 distinct points for K = 3 duplicates the centre 3; an empty cluster is then
    # moved onto a point at 1, a duplicate of a mean.  The blocked engine's mean of the points at
    # 1 carried rounding (1 + 2e-16), which decided the exact tie with the relocated centre the
    # other way at every iteration (300 iterations, never converged); now such an iteration is
    # redone with the plain steps
    X = np.array([[1.0], [1.0], [3.0], [1.0], [3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.DegenerateWarning)
        warnings.simplefilter("error", cp.ConvergenceWarning)
        r = cp.kmeans(X, 3, init=np.array([[3.0], [1.0], [3.0]]), engine=engine)
        assert r.converged and r.objective == 0.0
        np.testing.assert_array_equal(cp.assign(X, cp.update_centers(X, r.labels, 3)), r.labels)
