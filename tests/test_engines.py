"""Every engine computes the iterates of the plain engine (the book's step functions).

One generic test per loop drives every engine through the same protocol and
compares it with the plain engine at every iteration: identical labels, and
parameters equal to 1e-12 relative to their largest magnitude.  Shapes
include N not divisible by the block size, K = 1, D = 1, empty clusters,
duplicated points and ties.  The tests after that check what only the
blocked engines do (threads, blocks, bounds, the exp floor, declining).
"""

import sys
import warnings

import numpy as np
import pytest

import companion as cp
from companion import mixture, numerics
from companion.engines import blocks, em as blocked_em, lloyd as blocked_lloyd
from companion.kmeans import LLOYD_ENGINES, PlainLloyd, lloyd
from companion.mixture import EM_ENGINES, MixtureFit, PlainEM

pytestmark = pytest.mark.filterwarnings(
    "ignore::companion.ConvergenceWarning", "ignore::companion.DegenerateWarning"
)

RTOL = 1e-12


def close(a, b, rtol=RTOL):
    scale = max(1.0, float(np.max(np.abs(b))))
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


def dask_or_skip():
    return pytest.importorskip("dask.array")


# ---------------------------------------------------------------- the engines


def lloyd_engines():
    """name -> factory(X, K) for every Lloyd engine (Dask on a chunked array, sync scheduler)."""
    out = {name: make for name, make in LLOYD_ENGINES.items() if name != "auto"}

    def dask_engine(X, k):
        da = dask_or_skip()
        from companion.distributed import DaskLloyd

        return DaskLloyd(da.from_array(X, chunks=(max(1, X.shape[0] // 3), X.shape[1])), "sync")

    out["dask"] = dask_engine
    return out


def em_engines():
    out = {name: make for name, make in EM_ENGINES.items() if name != "auto"}

    def dask_engine(X, ctype, k, reg):
        da = dask_or_skip()
        from companion.distributed import DaskEM

        return DaskEM(da.from_array(X, chunks=(max(1, X.shape[0] // 3), X.shape[1])), ctype, reg, "sync")

    out["dask"] = dask_engine
    return out


def labels_of(engine):
    labels = engine.labels()
    return labels.compute() if hasattr(labels, "compute") else labels


def blobs(n, d, k, spread=2.0, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((k, d))[rng.integers(0, k, n)] * spread + rng.standard_normal((n, d))
    return X, X[rng.choice(n, k, replace=False)].copy()


def lloyd_steps(engine, C, n_iter):
    """(labels, centres, n_changed, J) after the start and after each iteration."""
    J = engine.start(C)
    out = [(labels_of(engine).copy(), C, engine.n_samples, J)]
    for _ in range(n_iter):
        C = engine.update()
        changed, J = engine.assign(C)
        out.append((labels_of(engine).copy(), C, changed, J))
        if changed == 0:
            break
    return out


LLOYD_CASES = [(1, 1, 1), (7, 1, 3), (300, 2, 1), (1000, 1, 4), (2049, 3, 5), (3001, 5, 17), (4099, 16, 32)]


@pytest.mark.parametrize("name", ["blocked", "dask"])
@pytest.mark.parametrize("n, d, k", LLOYD_CASES)
def test_every_lloyd_engine_gives_the_plain_iterates(name, n, d, k):
    X, C = blobs(n, d, k, seed=n)
    make = lloyd_engines()[name]
    plain = lloyd_steps(PlainLloyd(X, k), C, 40)
    other = lloyd_steps(make(X, k), C, 40)
    if name == "dask":  # empty clusters keep their centre there (documented): compare while none is empty
        plain = [p for p in plain if len(np.unique(p[0])) == k] or plain[:1]
        other = other[: len(plain)]
    assert len(other) == len(plain)
    for (la, ca, na, Ja), (lb, cb, nb, Jb) in zip(plain, other):
        np.testing.assert_array_equal(lb, la)  # the same labels at every iteration
        assert nb == na
        close(cb, ca)
        assert Jb == pytest.approx(Ja, rel=1e-10, abs=1e-12)


def test_lloyd_engines_with_empty_clusters_duplicates_and_ties():
    rng = np.random.default_rng(5)
    X = rng.integers(-3, 4, size=(800, 2)).astype(float)
    cases = [
        np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [0.0, 0.0]]),
        np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 2.0]]),  # duplicated centres: ties to the lowest index
        np.vstack([X[:3], [[100.0, 100.0], [-100.0, 100.0]]]),  # two empty clusters at once
    ]
    for C in cases:
        plain = lloyd_steps(PlainLloyd(X, len(C)), C, 30)
        blocked = lloyd_steps(blocked_lloyd.BlockedLloyd(X, len(C)), C, 30)
        assert len(plain) == len(blocked)
        for a, b in zip(plain, blocked):
            np.testing.assert_array_equal(b[0], a[0])
            close(b[1], a[1])


def em_steps(engine, p0, ctype, n_iter):
    fit = MixtureFit(ctype, 0.0, 1)
    ll, stats = engine.e_step(p0)
    out = [(p0, ll)]
    p = p0
    for t in range(n_iter):
        p = fit.params(engine.m_step(stats))
        ll, stats = engine.e_step(p, t == n_iter - 1)
        out.append((p, ll))
    return out, engine.responsibilities()


def gmm_data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((k, d, d)) / np.sqrt(d) + np.eye(d)
    z = rng.integers(0, k, n)
    return 3.0 * rng.standard_normal((k, d))[z] + np.einsum("nij,nj->ni", A[z], rng.standard_normal((n, d)))


def initial(X, k, ctype, seed=1):
    rng = np.random.default_rng(seed)
    C = X[rng.choice(X.shape[0], k, replace=False)]
    R = np.zeros((X.shape[0], k))
    R[np.arange(X.shape[0]), cp.assign(X, C)] = 1.0
    return cp.m_step(X, R, ctype, reg_covar=1e-6)


def compare_em(a, b, rtol=RTOL):
    (steps_a, R_a), (steps_b, R_b) = a, b
    for (pa, lla), (pb, llb) in zip(steps_a, steps_b):
        for name in ("weights", "means", "covariances"):
            close(getattr(pb, name), getattr(pa, name), rtol)
        assert llb == pytest.approx(lla, rel=1e-10, abs=1e-7)
    R_b = R_b.compute() if hasattr(R_b, "compute") else R_b
    close(R_b, R_a, 1e-10)
    np.testing.assert_array_equal(R_b.argmax(axis=1), R_a.argmax(axis=1))


@pytest.mark.parametrize("name", ["blocked", "dask"])
@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
@pytest.mark.parametrize("n, d, k", [(1, 1, 1), (40, 1, 2), (500, 2, 1), (1001, 3, 4), (2500, 6, 5)])
def test_every_em_engine_gives_the_plain_iterates(name, ctype, n, d, k):
    X = gmm_data(n, d, k, seed=n + d)
    p0 = initial(X, k, ctype)
    make = em_engines()[name]
    plain = em_steps(PlainEM(X, ctype, k, 1e-6), p0, ctype, 15)
    other = em_steps(make(X, ctype, k, 1e-6), p0, ctype, 15)
    compare_em(plain, other)


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_gmm_engines_agree_with_tol_and_duplicates(ctype):
    X = np.repeat(gmm_data(300, 2, 3, seed=4), 2, axis=0)  # every point twice
    fits = {e: cp.gmm(X, 3, covariance_type=ctype, seed=0, tol=1e-6, engine=e) for e in ("plain", "blocked", "auto")}
    plain = fits.pop("plain")
    for fit in fits.values():
        assert fit.n_iter == plain.n_iter and fit.converged == plain.converged
        close(fit.means, plain.means)
        close(fit.covariances, plain.covariances)
        close(fit.responsibilities, plain.responsibilities, 1e-10)
        assert fit.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)


def test_kmeans_engine_switch():
    X, C = blobs(3000, 2, 5, seed=8)
    fits = {e: cp.kmeans(X, 5, init=C, engine=e) for e in ("plain", "blocked", "auto")}
    for fit in fits.values():
        assert fit.n_iter == fits["plain"].n_iter
        np.testing.assert_array_equal(fit.labels, fits["plain"].labels)
        close(fit.centers, fits["plain"].centers)
    with pytest.raises(ValueError, match="Unknown engine 'fast'"):
        cp.kmeans(X, 5, engine="fast")
    with pytest.raises(ValueError, match="Did you mean 'plain'"):
        cp.gmm(X, 2, engine="plian")


# ----------------------------------------------------- what only blocked engines do


def test_lloyd_blocks_not_dividing_n(monkeypatch):
    # blocks of 256 rows and GEMM slices of 8 rows: N = 1000 is divisible by neither
    monkeypatch.setattr(blocked_lloyd, "BLOCK_ENTRIES", 256 * 4)
    monkeypatch.setattr(blocks, "SINGLE_THREAD_MNK", 8 * 4 * 3)
    X, C = blobs(1000, 3, 4, seed=3)
    a = cp.kmeans(X, 4, init=C, engine="plain")
    b = cp.kmeans(X, 4, init=C, engine="blocked")
    np.testing.assert_array_equal(a.history.n_changed, b.history.n_changed)
    close(b.history.centers, a.history.centers)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 1.0])
def test_lloyd_passes_with_and_without_bounds(monkeypatch, fraction):
    # 0: every pass after the first keeps bounds; 1: none does; 0.1: switches
    monkeypatch.setattr(blocked_lloyd, "BOUNDS_MOVED_FRACTION", fraction)
    X, C = blobs(3001, 5, 17, seed=21)
    a = cp.kmeans(X, 17, init=C, engine="plain", max_iter=50)
    b = cp.kmeans(X, 17, init=C, engine="blocked", max_iter=50)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.history.n_changed, b.history.n_changed)
    close(b.history.centers, a.history.centers)


class _NudgedLloyd(blocked_lloyd.BlockedLloyd):
    """The blocked engine with every centre coordinate moved by one ulp, up or down at random:
    rounding then decides the exact ties of integer data one way or the other."""

    def __init__(self, X, k, seed):
        super().__init__(X, k)
        self.rng = np.random.default_rng(seed)

    def update(self):
        C = super().update()
        return np.nextafter(C, self.rng.choice([-np.inf, np.inf], size=C.shape))


def test_lloyd_confirms_a_fixed_point_reached_by_rounding(monkeypatch):
    # the loop checks the engine's fixed point with the book's steps and, when a
    # tie went the other way, continues on the plain engine (kmeans._confirm)
    kmeans_module = sys.modules["companion.kmeans"]
    confirm, corrected = kmeans_module._confirm, []

    def counting(engine, J):
        out = confirm(engine, J)
        corrected.append(out[3] is not engine)
        return out

    monkeypatch.setattr(kmeans_module, "_confirm", counting)
    rng = np.random.default_rng(7)
    for _ in range(500):
        n, d, k = int(rng.integers(4, 12)), int(rng.integers(1, 3)), int(rng.integers(2, 4))
        X = rng.integers(0, 6, size=(n, d)).astype(float)
        distinct = np.unique(X, axis=0)
        if len(distinct) < k:
            continue
        C = distinct[rng.choice(len(distinct), k, replace=False)]
        r = lloyd(_NudgedLloyd(X, k, int(rng.integers(1 << 30))), C, 300)
        means = cp.update_centers(X, r.labels, k)
        assert r.converged
        np.testing.assert_array_equal(cp.assign(X, means), r.labels)
        np.testing.assert_array_equal(r.centers, means)
    assert sum(corrected) >= 3  # the rounding did decide ties the other way


def test_unproven_rows_hold_every_tie_and_the_rest_keep_their_plain_label(monkeypatch):
    # a fixed point with 750 exact ties: x = 3 is at distance 2 from the means 1 and 5;
    # several blocks and distance chunks, and bounds kept from the first pass on
    monkeypatch.setattr(blocked_lloyd, "BLOCK_ENTRIES", 256 * 8)
    monkeypatch.setattr(blocked_lloyd, "BOUNDS_MOVED_FRACTION", 1.0)
    monkeypatch.setattr(numerics, "CHUNK_ROWS", 64)
    rng = np.random.default_rng(11)
    line = np.array([0.0, 0.0, 3.0, 5.0, 100.0, 101.0, 102.0])
    X = np.column_stack([np.tile(line, 500), np.zeros(3500)])[rng.permutation(3500)]
    C = np.array([[1.2, 0.0], [5.2, 0.0], [99.0, 0.0]])
    engine = blocked_lloyd.BlockedLloyd(X, 3)
    steps = lloyd_steps(engine, C, 300)
    assert steps[-1][2] == 0 and engine.st.have_bounds  # the engine's own fixed point
    labels = engine.labels().copy()
    means = cp.update_centers(X, labels, 3)
    np.testing.assert_array_equal(means, [[1.0, 0.0], [5.0, 0.0], [101.0, 0.0]])
    rows = engine.unproven(means)
    ties = np.flatnonzero(X[:, 0] == 3.0)
    assert np.isin(ties, rows).all()
    proven = np.setdiff1d(np.arange(X.shape[0]), rows)
    assert proven.size >= 0.5 * X.shape[0]
    np.testing.assert_array_equal(cp.assign(X, means)[proven], labels[proven])
    # the whole fit on either engine: the ties go to the lowest index, as in the plain steps
    plain, blocked = (cp.kmeans(X, 3, init=C, engine=e) for e in ("plain", "blocked"))
    assert (blocked.labels[ties] == 0).all()
    np.testing.assert_array_equal(blocked.labels, plain.labels)
    np.testing.assert_array_equal(blocked.centers, plain.centers)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_lloyd_result_does_not_depend_on_threads(monkeypatch, threads):
    # groups of 2 blocks of 256 rows: 12 groups shared among the threads
    monkeypatch.setattr(blocked_lloyd, "BLOCK_ENTRIES", 256 * 8)
    monkeypatch.setattr(blocked_lloyd, "LLOYD_GROUP_BLOCKS", 2)
    X, C = blobs(6000, 3, 8, seed=13)
    monkeypatch.setattr(blocks, "THREADS", 1)
    a = cp.kmeans(X, 8, init=C, max_iter=30, engine="blocked")
    monkeypatch.setattr(blocks, "THREADS", threads)
    b = cp.kmeans(X, 8, init=C, max_iter=30, engine="blocked")
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.history.centers, b.history.centers)
    np.testing.assert_array_equal(a.history.objective, b.history.objective)


def em_arrays(r):
    h = r.history
    return [h.weights, h.means, h.covariances, h.log_likelihood, r.responsibilities]


def blocked_fit(X, p0, n_iter):
    return cp.gmm(X, p0.n_components, covariance_type=p0.covariance_type, init=p0, max_iter=n_iter, tol=0.0,
                  engine="blocked")


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_em_result_does_not_depend_on_threads_or_feature_cache(monkeypatch, ctype):
    # 8 blocks of 128 rows (the last one shorter), shared among 1, 2 or 3 threads;
    # block sums are added in block order, so the results are bit-identical
    monkeypatch.setattr(blocked_em, "EM_BLOCK_ENTRIES", 1)
    X = gmm_data(1000, 3, 4, seed=12)
    p0 = initial(X, 4, ctype)
    results = {}
    for threads, cache in [(1, 1 << 30), (2, 1 << 30), (3, 1 << 30), (2, 0)]:
        monkeypatch.setattr(blocks, "THREADS", threads)
        monkeypatch.setattr(blocked_em, "FEATURE_CACHE_BYTES", cache)
        results[threads, cache] = em_arrays(blocked_fit(X, p0, 6))
    reference = results.pop((1, 1 << 30))
    for arrays in results.values():
        for a, b in zip(arrays, reference):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_em_blocks_not_dividing_n(monkeypatch, ctype):
    monkeypatch.setattr(blocked_em, "EM_BLOCK_ENTRIES", 1)
    monkeypatch.setattr(blocks, "SINGLE_THREAD_MNK", 40)
    X = gmm_data(999, 3, 3, seed=9)
    p0 = initial(X, 3, ctype)
    compare_em(em_steps(PlainEM(X, ctype, 3, 1e-6), p0, ctype, 5),
               em_steps(blocked_em.BlockedEM(X, ctype, 3, 1e-6), p0, ctype, 5))


def test_em_propagates_an_error_raised_in_a_worker_thread(monkeypatch):
    monkeypatch.setattr(blocked_em, "EM_BLOCK_ENTRIES", 1)
    monkeypatch.setattr(blocks, "THREADS", 2)
    X = gmm_data(1000, 2, 3, seed=2)
    p0 = initial(X, 3, "diag")
    calls = []
    real = blocked_em._em_block

    def failing(X, W, P, ws, buf, s, e, *args):
        calls.append(s)
        if s >= 500:  # a block of the second run, done by the pool thread
            raise RuntimeError("block failed")
        return real(X, W, P, ws, buf, s, e, *args)

    monkeypatch.setattr(blocked_em, "_em_block", failing)
    with pytest.raises(RuntimeError, match="block failed"):
        blocked_fit(X, p0, 2)
    assert min(calls) == 0  # the calling thread did its own run


def test_exp_floored_zeroes_only_entries_below_the_floor():
    rng = np.random.default_rng(0)
    A0 = rng.uniform(-100.0, 0.0, (6, 50))
    keep = np.empty(A0.shape, dtype=bool)
    A = A0.copy()  # about 30% of the entries above -30: the entries below are skipped
    blocked_em._exp_floored(A, keep, -30.0)
    assert 0.2 < np.mean(A0 >= -30.0) < 0.4
    np.testing.assert_array_equal(A, np.where(A0 >= -30.0, np.exp(A0), 0.0))
    A = A0.copy()  # about 90% above -90: every entry is evaluated
    blocked_em._exp_floored(A, keep, -90.0)
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
    real = blocked_em._exp_floored

    def spy(A, keep, floor):
        real(A, keep, floor)
        skipped.append(np.count_nonzero(keep) <= blocked_em.EXP_SKIP_MAX_FRACTION * A.size)

    monkeypatch.setattr(blocked_em, "_exp_floored", spy)
    floored = blocked_fit(X, p0, 8)
    assert len(skipped) > 0 and np.mean(skipped) > 0.9
    monkeypatch.setattr(blocked_em, "EXP_FLOOR", -np.inf)  # every exp evaluated
    exact = blocked_fit(X, p0, 8)
    for a, b in zip(em_arrays(floored)[:3], em_arrays(exact)[:3]):
        close(a, b)
    np.testing.assert_allclose(floored.history.log_likelihood, exact.history.log_likelihood, rtol=1e-14)
    np.testing.assert_array_equal(floored.responsibilities, exact.responsibilities)  # exact pass


def test_em_floor_redoes_the_e_step_for_a_tiny_component(monkeypatch):
    # a broad component far from every point: its N_k (down to 1e-10 here) is
    # made of responsibilities that a floored pass could drop; the check after
    # the M-step notices and the E-step is redone exactly
    X = separated_mixture(2000, 3, spread=30.0, seed=3)
    p0 = initial(X, 3, "diag")
    far = np.vstack([p0.means, X.mean(axis=0) + 30.0])
    p0 = cp.GMMParams(np.r_[p0.weights * 0.999, 0.001], far, np.vstack([p0.covariances, [30.0, 30.0]]), "diag")
    exact_passes = []
    real = blocked_em._em_pass

    def spy(X, params, ws, **kw):
        exact_passes.append(kw.get("floor") is None and kw.get("stats", True))
        return real(X, params, ws, **kw)

    monkeypatch.setattr(blocked_em, "_em_pass", spy)
    blocked = em_steps(blocked_em.BlockedEM(X, "diag", 4, 1e-6), p0, "diag", 6)
    assert any(exact_passes)
    compare_em(em_steps(PlainEM(X, "diag", 4, 1e-6), p0, "diag", 6), blocked)


def test_declined_steps_continue_on_the_plain_engine_from_the_current_iterate(monkeypatch):
    # the blocked engine declines from the 4th E-step on: the fit goes on with the
    # plain engine from theta^(3) (no restart) and equals the plain fit
    X = gmm_data(600, 2, 3, seed=6)
    p0 = initial(X, 3, "full")
    calls = []
    real = blocked_em._em_safe

    def declines_late(params, ws):
        calls.append(1)
        return len(calls) < 4 and real(params, ws)

    monkeypatch.setattr(blocked_em, "_em_safe", declines_late)
    e_steps = []
    real_plain = PlainEM.e_step

    def counting(self, params, final=False):
        e_steps.append(1)
        return real_plain(self, params, final)

    monkeypatch.setattr(PlainEM, "e_step", counting)
    r = cp.gmm(X, 3, init=p0, max_iter=8, tol=0.0, engine="blocked")
    assert len(calls) == 4 and len(e_steps) == 8 + 1 - 3  # the plain engine did only the rest
    monkeypatch.setattr(PlainEM, "e_step", real_plain)
    plain = cp.gmm(X, 3, init=p0, max_iter=8, tol=0.0, engine="plain")
    for a, b in zip(em_arrays(r), em_arrays(plain)):
        close(a, b, 1e-10)


def test_blocked_em_declines_extreme_data():
    # a collapsed component next to a far outlier: the expanded forms would cancel
    X = np.array([[0.0], [1e150]])
    p = cp.GMMParams([0.5, 0.5], [[0.0], [1e150]], [[[1e-6]], [[1e-6]]], "full")
    with pytest.raises(cp.engines.EngineDeclined):
        blocked_em.BlockedEM(X, "full", 2, 1e-6).e_step(p)
    r = cp.gmm(X, 2, covariance_type="full", init=p, max_iter=3, tol=0.0)
    assert np.isfinite(r.log_likelihood)


@pytest.mark.parametrize("ctype", cp.COVARIANCE_TYPES)
def test_blocked_em_certifies_rows_where_it_does_not_decline(monkeypatch, ctype, far_apart):
    # clusters 6000 spreads apart: the expanded forms lose about 1e-8 of the log-densities,
    # too little for the engine to decline and a hundred times its certificate's 1e-10, so
    # the rows near the two close clusters are recomputed from x_n - mu_k
    X, C = far_apart.data(3e3, n=1500)
    covs = {"full": np.array([np.eye(2)] * 3), "tied": np.eye(2), "diag": np.ones((3, 2)), "spherical": np.ones(3)}
    p = cp.GMMParams([0.3, 0.3, 0.4], C, covs[ctype], ctype)
    engine = blocked_em.BlockedEM(X, ctype, 3, 1e-6)
    recomputed = []
    original = blocked_em.log_gaussian_matrix
    monkeypatch.setattr(blocked_em, "log_gaussian_matrix", lambda X, *a: recomputed.append(len(X)) or original(X, *a))
    ll, _ = engine.e_step(p, final=True)
    R_ref, ll_ref = far_apart.e_step(X, p)
    assert sum(recomputed) > 0
    np.testing.assert_allclose(engine.responsibilities(), R_ref, rtol=0, atol=1e-9)
    assert ll == pytest.approx(ll_ref, rel=1e-12)
    # and the pass that feeds an M-step gives the plain M-step
    _, S = engine.e_step(p)
    close(np.concatenate([np.ravel(a) for a in engine.m_step(S)]),
          np.concatenate([np.ravel(a) for a in PlainEM(X, ctype, 3, 1e-6).m_step(R_ref)]), 1e-9)


@pytest.mark.parametrize("f", [1e7, 1e8])
def test_blocked_em_declines_clusters_far_apart(f, far_apart):
    # its M-step statistics would cancel; the plain engine forms every scatter about its mean
    X, C = far_apart.data(f, n=200)
    p = cp.GMMParams([0.3, 0.3, 0.4], C, np.ones(3), "spherical")
    with pytest.raises(cp.engines.EngineDeclined):
        blocked_em.BlockedEM(X, "spherical", 3, 1e-6).e_step(p)


@pytest.mark.parametrize("f", [1e6, 1e8])
def test_blocked_lloyd_far_apart_gives_the_plain_iterates(f, far_apart):
    X, C = far_apart.data(f)
    init = C + np.array([[0.0, 0.3], [0.7, 0.0], [-0.4, 0.2]])
    a = lloyd(blocked_lloyd.BlockedLloyd(X, 3), init, 100)
    b = lloyd(PlainLloyd(X, 3), init, 100)
    assert a.converged and a.n_iter == b.n_iter
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.history.n_changed, b.history.n_changed)
    np.testing.assert_allclose(a.history.centers, b.history.centers, rtol=0, atol=16 * np.spacing(f))


def test_the_loops_are_the_ones_the_fits_run(monkeypatch):
    # kmeans, gmm, soft_kmeans, anneal and the Dask drivers all go through lloyd() and em()
    calls = []
    real_lloyd, real_em = lloyd, mixture.em
    import importlib

    # (the package's attribute `kmeans` is the function: take the modules from importlib)
    annealing, bridge, kmeans = (importlib.import_module(f"companion.{m}") for m in ("annealing", "bridge", "kmeans"))

    def spy_lloyd(*a, **k):
        calls.append("lloyd")
        return real_lloyd(*a, **k)

    def spy_em(*a, **k):
        calls.append("em")
        return real_em(*a, **k)

    for module in (kmeans, mixture, annealing):
        if hasattr(module, "lloyd"):
            monkeypatch.setattr(module, "lloyd", spy_lloyd)
    for module in (mixture, bridge, annealing):
        monkeypatch.setattr(module, "em", spy_em)
    X, _ = cp.make_blobs(200, cp.circle_centers(3, 4.0), seed=1)
    cp.kmeans(X, 3, seed=0)
    assert calls == ["lloyd"]
    cp.gmm(X, 3, init="kmeans", seed=0)
    assert calls[1:] == ["lloyd", "em"]
    cp.soft_kmeans(X, 3, sigma=1.0, seed=0)
    assert calls[-1] == "em"
    del calls[:]
    cp.anneal(X, 3, sigmas=[2.0, 1.0], seed=0)
    assert calls == ["em", "em", "lloyd"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert PlainLloyd(X, 3).start(X[:3]) >= 0
