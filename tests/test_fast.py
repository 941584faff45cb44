"""companion._fast gives the iterates of the plain step functions.

k-means: the same labels at every iteration and centres equal to 1e-12
relative; EM: parameters equal to 1e-10.  Shapes include N not divisible by
the block size, K = 1, D = 1, empty clusters, duplicated points and ties.
"""

import warnings

import numpy as np
import pytest

import companion as cp
from companion import _fast, mixture
from companion.kmeans import _lloyd

pytestmark = pytest.mark.filterwarnings("ignore::companion.ConvergenceWarning")


def plain_lloyd_labels(X, centers, n_iter):
    """Labels after each of ``n_iter`` plain iterations (entry 0: the initial assignment)."""
    labels = [cp.assign(X, centers)]
    for _ in range(n_iter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cp.DegenerateWarning)
            centers = cp.update_centers(X, labels[-1], centers.shape[0])
        labels.append(cp.assign(X, centers))
    return labels


def check_lloyd(X, C, max_iter=40):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = _lloyd(X, C, max_iter)
        b = _fast.lloyd(X, C, max_iter)
    assert a.n_iter == b.n_iter and a.converged == b.converged
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.history.n_changed, b.history.n_changed)
    scale = max(1.0, float(np.max(np.abs(a.history.centers))))
    np.testing.assert_allclose(b.history.centers, a.history.centers, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(b.history.objective, a.history.objective, rtol=1e-10, atol=1e-12)
    # the same labels at every iteration, not only at the end
    t_values = sorted({1, a.n_iter // 2, a.n_iter})
    plain = plain_lloyd_labels(X, C, a.n_iter)
    for t in t_values:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_array_equal(_fast.lloyd(X, C, t).labels, plain[t])
    return a, b


def blobs(n, d, k, spread=2.0, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((k, d))[rng.integers(0, k, n)] * spread + rng.standard_normal((n, d))
    return X, X[rng.choice(n, k, replace=False)].copy()


@pytest.mark.parametrize(
    "n, d, k",
    [(1, 1, 1), (7, 1, 3), (300, 2, 1), (1000, 1, 4), (2049, 3, 5), (3001, 5, 17), (4099, 16, 32)],
)
def test_lloyd_matches_plain_loop(n, d, k):
    X, C = blobs(n, d, k, seed=n)
    check_lloyd(X, C)


def test_lloyd_blocks_not_dividing_n(monkeypatch):
    # blocks of 256 rows and GEMM slices of 8 rows: N = 1000 is divisible by neither
    monkeypatch.setattr(_fast, "BLOCK_ENTRIES", 256 * 4)
    monkeypatch.setattr(_fast, "SINGLE_THREAD_MNK", 8 * 4 * 3)
    X, C = blobs(1000, 3, 4, seed=3)
    check_lloyd(X, C)


def test_lloyd_long_run_with_incremental_sums():
    # the centres come from sums updated with the moved points only, for 60 iterations
    X, C = blobs(5000, 4, 9, seed=11)
    check_lloyd(X, C, 60)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 1.0])
def test_lloyd_passes_with_and_without_bounds(monkeypatch, fraction):
    # 0: every pass after the first keeps bounds; 1: none does; 0.1: switches
    monkeypatch.setattr(_fast, "BOUNDS_MOVED_FRACTION", fraction)
    X, C = blobs(3001, 5, 17, seed=21)
    check_lloyd(X, C, 50)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_lloyd_result_does_not_depend_on_threads(monkeypatch, threads):
    # groups of 2 blocks of 256 rows: 12 groups shared among the threads
    monkeypatch.setattr(_fast, "BLOCK_ENTRIES", 256 * 8)
    monkeypatch.setattr(_fast, "LLOYD_GROUP_BLOCKS", 2)
    X, C = blobs(6000, 3, 8, seed=13)
    monkeypatch.setattr(_fast, "THREADS", 1)
    a = _fast.lloyd(X, C, 30)
    monkeypatch.setattr(_fast, "THREADS", threads)
    b = _fast.lloyd(X, C, 30)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.history.centers, b.history.centers)
    np.testing.assert_array_equal(a.history.objective, b.history.objective)


def test_lloyd_empty_clusters_follow_the_plain_policy():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((500, 2))
    # two centres far away: their clusters are empty after the first assignment
    C = np.vstack([X[:3], [[100.0, 100.0], [-100.0, 100.0]]])
    with pytest.warns(cp.DegenerateWarning):
        _fast.lloyd(X, C, 5)
    check_lloyd(X, C)


def test_lloyd_duplicates_and_ties():
    # integer points on a grid, many duplicates, centres equidistant from many points
    rng = np.random.default_rng(5)
    X = rng.integers(-3, 4, size=(800, 2)).astype(float)
    C = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [0.0, 0.0]])
    check_lloyd(X, C)
    # duplicated centres: ties go to the lowest index in both
    C2 = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 2.0]])
    check_lloyd(X, C2)


def test_lloyd_all_points_identical():
    X = np.ones((50, 3))
    check_lloyd(X, X[:2].copy())


def test_kmeans_uses_the_fast_path_and_the_switch(monkeypatch):
    X, C = blobs(3000, 2, 5, seed=8)
    calls = []
    real = _fast.lloyd
    monkeypatch.setattr(_fast, "lloyd", lambda *a: calls.append(1) or real(*a))
    fast = cp.kmeans(X, 5, init=C)
    monkeypatch.setattr(_fast, "ENABLED", False)
    plain = cp.kmeans(X, 5, init=C)
    assert len(calls) == 1  # the first fit only
    assert fast.n_iter == plain.n_iter
    np.testing.assert_array_equal(fast.labels, plain.labels)
    np.testing.assert_allclose(fast.centers, plain.centers, rtol=0, atol=1e-12 * np.abs(X).max())


# ------------------------------------------------------------------------ EM


def plain_em(X, p, ctype, n_iter, reg=1e-6):
    R, ll = mixture._e_step(X, p)
    params, lls = [p], [ll]
    for _ in range(n_iter):
        p = mixture._m_step(X, R, ctype, reg)
        R, ll = mixture._e_step(X, p)
        params.append(p)
        lls.append(ll)
    return params, lls, R


def gmm_data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((k, d, d)) / np.sqrt(d) + np.eye(d)
    z = rng.integers(0, k, n)
    X = 3.0 * rng.standard_normal((k, d))[z] + np.einsum("nij,nj->ni", A[z], rng.standard_normal((n, d)))
    return X


def initial(X, k, ctype, seed=1):
    rng = np.random.default_rng(seed)
    C = X[rng.choice(X.shape[0], k, replace=False)]
    R = np.zeros((X.shape[0], k))
    R[np.arange(X.shape[0]), cp.assign(X, C)] = 1.0
    return cp.m_step(X, R, ctype, reg_covar=1e-6)


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
@pytest.mark.parametrize("n, d, k", [(1, 1, 1), (40, 1, 2), (500, 2, 1), (1001, 3, 4), (2500, 6, 5)])
def test_em_matches_plain_loop(ctype, n, d, k):
    X = gmm_data(n, d, k, seed=n + d)
    p0 = initial(X, k, ctype)
    params, lls, R = plain_em(X, p0, ctype, 15)
    r = _fast.em(X, p0, 15, 0.0, 1e-6)
    assert r is not None and r.n_iter == 15
    for t, p in enumerate(params):
        for name in ("weights", "means", "covariances"):
            a, b = getattr(p, name), getattr(r.history, name)[t]
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-10 * max(1.0, np.abs(a).max()))
    # (with a single point the plain tied M-step cancels x x^T - N_k mu mu^T in raw
    # coordinates, leaving ~1e-14 in a covariance of reg_covar = 1e-6)
    np.testing.assert_allclose(r.history.log_likelihood, lls, rtol=1e-10, atol=1e-7)
    np.testing.assert_allclose(r.responsibilities, R, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(r.labels, np.argmax(R, axis=1))


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_em_blocks_not_dividing_n(monkeypatch, ctype):
    # blocks of 128 rows and GEMM slices of a few columns: N = 999 is divisible by neither
    monkeypatch.setattr(_fast, "EM_BLOCK_ENTRIES", 1)
    monkeypatch.setattr(_fast, "SINGLE_THREAD_MNK", 40)
    X = gmm_data(999, 3, 3, seed=9)
    p0 = initial(X, 3, ctype)
    params, _, R = plain_em(X, p0, ctype, 5)
    r = _fast.em(X, p0, 5, 0.0, 1e-6)
    np.testing.assert_allclose(r.means, params[-1].means, rtol=0, atol=1e-10 * np.abs(X).max())
    np.testing.assert_allclose(r.covariances, params[-1].covariances, rtol=0, atol=1e-10)
    np.testing.assert_allclose(r.responsibilities, R, rtol=0, atol=1e-10)


def em_arrays(r):
    h = r.history
    return [h.weights, h.means, h.covariances, h.log_likelihood, r.responsibilities]


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_em_result_does_not_depend_on_threads_or_feature_cache(monkeypatch, ctype):
    # 8 blocks of 128 rows (the last one shorter), shared among 1, 2 or 3 threads;
    # block sums are added in block order, so the results are bit-identical
    monkeypatch.setattr(_fast, "EM_BLOCK_ENTRIES", 1)
    X = gmm_data(1000, 3, 4, seed=12)
    p0 = initial(X, 4, ctype)
    results = {}
    for threads, cache in [(1, 1 << 30), (2, 1 << 30), (3, 1 << 30), (2, 0)]:
        monkeypatch.setattr(_fast, "THREADS", threads)
        monkeypatch.setattr(_fast, "FEATURE_CACHE_BYTES", cache)
        results[threads, cache] = em_arrays(_fast.em(X, p0, 6, 0.0, 1e-6))
    reference = results.pop((1, 1 << 30))
    for arrays in results.values():
        for a, b in zip(arrays, reference):
            np.testing.assert_array_equal(a, b)


def test_em_propagates_an_error_raised_in_a_worker_thread(monkeypatch):
    monkeypatch.setattr(_fast, "EM_BLOCK_ENTRIES", 1)
    monkeypatch.setattr(_fast, "THREADS", 2)
    X = gmm_data(1000, 2, 3, seed=2)
    p0 = initial(X, 3, "diag")
    calls = []
    real = _fast._em_block

    def failing(X, W, P, ws, buf, s, e, *args):
        calls.append(s)
        if s >= 500:  # a block of the second run, done by the pool thread
            raise RuntimeError("block failed")
        return real(X, W, P, ws, buf, s, e, *args)

    monkeypatch.setattr(_fast, "_em_block", failing)
    with pytest.raises(RuntimeError, match="block failed"):
        _fast.em(X, p0, 2, 0.0, 1e-6)
    assert min(calls) == 0  # the calling thread did its own run


def test_exp_floored_zeroes_only_entries_below_the_floor():
    rng = np.random.default_rng(0)
    A0 = rng.uniform(-100.0, 0.0, (6, 50))
    keep = np.empty(A0.shape, dtype=bool)
    A = A0.copy()  # about 30% of the entries above -30: the entries below are skipped
    _fast._exp_floored(A, keep, -30.0)
    assert 0.2 < np.mean(A0 >= -30.0) < 0.4
    expected = np.where(A0 >= -30.0, np.exp(A0), 0.0)
    np.testing.assert_array_equal(A, expected)
    A = A0.copy()  # about 90% above -90: every entry is evaluated
    _fast._exp_floored(A, keep, -90.0)
    np.testing.assert_array_equal(A, np.exp(A0))


def separated_mixture(n, k, d=2, spread=60.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * spread
    return centres[rng.integers(0, k, n)] + rng.standard_normal((n, d))


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_em_floor_skips_exp_and_keeps_the_parameters(monkeypatch, ctype):
    # far-apart clusters: most responsibilities are below e^-45, so the floored
    # passes skip most exps; the parameters still equal the exact passes'
    X = separated_mixture(3000, 8)
    p0 = initial(X, 8, ctype)
    skipped = []
    real = _fast._exp_floored

    def spy(A, keep, floor):
        real(A, keep, floor)
        skipped.append(np.count_nonzero(keep) <= _fast.EXP_SKIP_MAX_FRACTION * A.size)

    monkeypatch.setattr(_fast, "_exp_floored", spy)
    floored = _fast.em(X, p0, 8, 0.0, 1e-6)
    assert len(skipped) > 0 and np.mean(skipped) > 0.9
    monkeypatch.setattr(_fast, "EXP_FLOOR", -np.inf)  # every exp evaluated
    exact = _fast.em(X, p0, 8, 0.0, 1e-6)
    for a, b in zip(em_arrays(floored)[:3], em_arrays(exact)[:3]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * max(1.0, np.abs(b).max()))
    np.testing.assert_allclose(floored.history.log_likelihood, exact.history.log_likelihood, rtol=1e-14)
    np.testing.assert_array_equal(floored.responsibilities, exact.responsibilities)  # exact pass


def test_em_floor_redoes_the_e_step_for_a_tiny_component(monkeypatch):
    # a broad component far from every point: its N_k (down to 1e-10 here) is
    # made of responsibilities that a floored pass could drop; the check after
    # the M-step notices and the E-step is redone exactly, so the fit equals
    # the plain loop
    X = separated_mixture(2000, 3, spread=30.0, seed=3)
    p0 = initial(X, 3, "diag")
    far = np.vstack([p0.means, X.mean(axis=0) + 30.0])
    p0 = cp.GMMParams(np.r_[p0.weights * 0.999, 0.001], far, np.vstack([p0.covariances, [30.0, 30.0]]), "diag")
    exact_passes = []
    real = _fast._em_pass

    def spy(X, params, ws, **kw):
        exact_passes.append(kw.get("floor") is None and kw.get("stats", True))
        return real(X, params, ws, **kw)

    monkeypatch.setattr(_fast, "_em_pass", spy)
    r = _fast.em(X, p0, 6, 0.0, 1e-6)
    assert any(exact_passes)
    params, lls, R = plain_em(X, p0, "diag", 6)
    for t, p in enumerate(params):
        for name in ("weights", "means", "covariances"):
            a, b = getattr(p, name), getattr(r.history, name)[t]
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-10 * max(1.0, np.abs(a).max()))
    np.testing.assert_allclose(r.history.log_likelihood, lls, rtol=1e-10)


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_gmm_fast_and_plain_agree_with_tol_and_duplicates(monkeypatch, ctype):
    X = np.repeat(gmm_data(300, 2, 3, seed=4), 2, axis=0)  # every point twice
    fast = cp.gmm(X, 3, covariance_type=ctype, seed=0, tol=1e-6)
    monkeypatch.setattr(_fast, "ENABLED", False)
    plain = cp.gmm(X, 3, covariance_type=ctype, seed=0, tol=1e-6)
    assert fast.n_iter == plain.n_iter and fast.converged == plain.converged
    np.testing.assert_allclose(fast.means, plain.means, rtol=0, atol=1e-10 * np.abs(X).max())
    np.testing.assert_allclose(fast.covariances, plain.covariances, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(fast.responsibilities, plain.responsibilities, atol=1e-10)
    assert fast.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)


def test_em_declines_extreme_data():
    # a collapsed component next to a far outlier: the expanded forms would cancel
    X = np.array([[0.0], [1e150]])
    p = cp.GMMParams([0.5, 0.5], [[0.0], [1e150]], [[[1e-6]], [[1e-6]]], "full")
    assert _fast.em(X, p, 3, 0.0, 1e-6) is None
    r = cp.gmm(X, 2, covariance_type="full", init=p, max_iter=3, tol=0.0)
    assert np.isfinite(r.log_likelihood)
