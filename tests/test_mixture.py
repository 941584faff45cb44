"""Tests of companion.mixture: scikit-learn oracle, E/M steps, EM properties, results, bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import companion as cp
from companion.numerics import precision_cholesky



def sklearn_mixture():
    """scikit-learn's mixture module; only the oracle tests need it (they skip without it)."""
    return pytest.importorskip("sklearn.mixture")


TYPES = cp.COVARIANCE_TYPES


def data(n=300, seed=0, d=2, k=3):
    covs = []
    rng = np.random.default_rng(seed)
    for _ in range(k):
        A = rng.normal(size=(d, d))
        covs.append(A @ A.T + 0.3 * np.eye(d))
    X, _ = cp.make_anisotropic_blobs(n, cp.circle_centers(k, 4.0, n_features=max(d, 2))[:, :d], covs, seed=seed)
    return X


def sklearn_precisions(params):
    pc = precision_cholesky(params.covariances, params.covariance_type)
    if params.covariance_type == "full":
        return np.einsum("kij,klj->kil", pc, pc)
    if params.covariance_type == "tied":
        return pc @ pc.T
    return pc**2


# --- oracle ----------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("shape", [(300, 2, 3), (400, 4, 5)])
@pytest.mark.parametrize("T", [1, 15])
def test_matches_sklearn_after_T_iterations(covariance_type, shape, T):
    n, d, k = shape
    X = data(n, seed=d + k, d=d, k=k)
    init = cp.gmm(X, k, covariance_type=covariance_type, max_iter=0, seed=1).params
    ours = cp.gmm(X, k, covariance_type=covariance_type, init=init, max_iter=T, tol=0)
    ref = sklearn_mixture().GaussianMixture(
        k,
        covariance_type=covariance_type,
        weights_init=init.weights,
        means_init=init.means,
        precisions_init=sklearn_precisions(init),
        max_iter=T,
        tol=0,
        reg_covar=1e-6,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns that tol=0 did not converge
        ref.fit(X)
    assert ours.n_iter == T
    np.testing.assert_allclose(ours.weights, ref.weights_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.means, ref.means_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.covariances, ref.covariances_, rtol=0, atol=1e-8)
    assert ours.log_likelihood == pytest.approx(ref.score(X) * n, rel=1e-10)
    np.testing.assert_allclose(ours.responsibilities, ref.predict_proba(X), atol=1e-8)


# --- steps -----------------------------------------------------------------------


def brute_log_density(X, mean, cov):
    d = X.shape[1]
    inv = np.linalg.inv(cov)
    diff = X - mean
    return -0.5 * (d * np.log(2 * np.pi) + np.log(np.linalg.det(cov)) + np.einsum("ni,ij,nj->n", diff, inv, diff))


def test_e_step_against_brute_force():
    X = data(50, seed=3)
    p = cp.gmm(X, 3, max_iter=3, tol=0, seed=0).params
    R, ll = cp.e_step(X, p)
    dens = np.stack([p.weights[k] * np.exp(brute_log_density(X, p.means[k], p.covariances[k])) for k in range(3)], axis=1)
    np.testing.assert_allclose(R, dens / dens.sum(axis=1, keepdims=True), atol=1e-12)
    assert ll == pytest.approx(np.log(dens.sum(axis=1)).sum(), rel=1e-12)
    np.testing.assert_allclose(R.sum(axis=1), 1.0, atol=1e-12)
    assert cp.log_likelihood(X, p) == pytest.approx(ll, rel=1e-14)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_log_likelihood_agrees_across_covariance_layouts(covariance_type):
    X = data(80, seed=4)
    p = cp.gmm(X, 2, covariance_type=covariance_type, max_iter=2, tol=0, seed=0).params
    full = cp.GMMParams(p.weights, p.means, p.full_covariances(), "full")
    assert cp.log_likelihood(X, p) == pytest.approx(cp.log_likelihood(X, full), rel=1e-12)
    for k in range(2):
        np.testing.assert_allclose(
            cp.log_gaussian_density(X, p.means[k], full.covariances[k]),
            brute_log_density(X, p.means[k], full.covariances[k]),
            rtol=1e-10,
        )


def test_m_step_matches_weighted_formulas():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 3))
    R = rng.dirichlet(np.ones(4), size=60)
    p = cp.m_step(X, R, "full", reg_covar=0.0)
    Nk = R.sum(axis=0)
    np.testing.assert_allclose(p.weights, Nk / 60, atol=1e-12)
    for k in range(4):
        mu = (R[:, k, None] * X).sum(axis=0) / Nk[k]
        Sigma = sum(R[n, k] * np.outer(X[n] - mu, X[n] - mu) for n in range(60)) / Nk[k]
        np.testing.assert_allclose(p.means[k], mu, atol=1e-12)
        np.testing.assert_allclose(p.covariances[k], Sigma, atol=1e-12)
    tied = cp.m_step(X, R, "tied", reg_covar=0.0)
    np.testing.assert_allclose(tied.covariances, np.einsum("k,kij->ij", Nk / 60, p.covariances), atol=1e-12)
    diag = cp.m_step(X, R, "diag", reg_covar=0.0)
    np.testing.assert_allclose(diag.covariances, np.diagonal(p.covariances, axis1=1, axis2=2), atol=1e-12)
    sph = cp.m_step(X, R, "spherical", reg_covar=0.5)
    np.testing.assert_allclose(sph.covariances, diag.covariances.mean(axis=1) + 0.5, atol=1e-12)


def test_reg_covar_is_added_to_the_diagonal():
    X = data(40, seed=6)
    R = np.ones((40, 1))
    a = cp.m_step(X, R, "full", reg_covar=0.0)
    b = cp.m_step(X, R, "full", reg_covar=0.25)
    np.testing.assert_allclose(b.covariances - a.covariances, 0.25 * np.eye(2)[None], atol=1e-12)


def test_single_component_is_the_sample_mean_and_covariance():
    X = data(200, seed=7)
    r = cp.gmm(X, 1, reg_covar=0.0, seed=0)
    np.testing.assert_allclose(r.means[0], X.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(r.covariances[0], np.cov(X.T, bias=True), atol=1e-12)
    assert r.weights[0] == pytest.approx(1.0)


# --- the fit ------------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", TYPES)
def test_history_and_final_state(covariance_type):
    X = data(seed=8)
    r = cp.gmm(X, 3, covariance_type=covariance_type, seed=0)
    h = r.history
    assert h.log_likelihood.shape == (r.n_iter + 1,)
    assert h.means.shape == (r.n_iter + 1, 3, 2)
    np.testing.assert_array_equal(h.means[-1], r.means)
    assert r.log_likelihood == pytest.approx(cp.log_likelihood(X, r.params), rel=1e-12)
    R, ll = cp.e_step(X, r.params)
    np.testing.assert_allclose(r.responsibilities, R, atol=1e-14)
    np.testing.assert_array_equal(r.labels, np.argmax(R, axis=1))
    np.testing.assert_array_equal(r.predict(X), r.labels)
    np.testing.assert_allclose(r.predict_proba(X), R, atol=1e-14)
    assert r.converged
    assert abs(h.log_likelihood[-1] - h.log_likelihood[-2]) / X.shape[0] < 1e-6


@pytest.mark.parametrize("init", ["k-means++", "random", "kmeans"])
def test_init_methods(init):
    X = data(seed=9)
    r = cp.gmm(X, 3, init=init, seed=1)
    assert np.isfinite(r.log_likelihood) and r.converged


def test_tol_zero_runs_exactly_max_iter_and_tol_warns():
    X = data(seed=10)
    r = cp.gmm(X, 3, tol=0, max_iter=7, seed=0)
    assert r.n_iter == 7 and not r.converged
    with pytest.warns(cp.ConvergenceWarning, match="did not converge"):
        cp.gmm(X, 3, tol=1e-12, max_iter=2, seed=0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(TYPES), st.integers(1, 4))
def test_log_likelihood_never_decreases(seed, covariance_type, k):
    X = data(150, seed=seed % 10_000)
    # (nearly) exact EM: the theorem's setting.  +eps*I can dip by O(eps^2) (see the mixture
    # docs); eps = 1e-10 keeps covariances positive definite and the dip far below the tolerance
    r = cp.gmm(X, k, covariance_type=covariance_type, init="kmeans", tol=0, max_iter=25, seed=seed, reg_covar=1e-10)
    ll = r.history.log_likelihood
    assert np.all(np.diff(ll) >= -1e-9 * np.abs(ll[:-1]).max())


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(-20, 20), st.floats(0.1, 10))
def test_equivariance(seed, shift, scale):
    X = data(120, seed=seed % 1000)
    init = cp.gmm(X, 2, max_iter=0, init="kmeans", seed=seed, reg_covar=0.0).params  # balanced, non-singular start
    base = cp.gmm(X, 2, init=init, tol=0, max_iter=10, reg_covar=0.0)
    perm = np.random.default_rng(seed).permutation(120)
    p = cp.gmm(X[perm], 2, init=init, tol=0, max_iter=10, reg_covar=0.0)
    np.testing.assert_allclose(p.means, base.means, atol=1e-8)
    np.testing.assert_allclose(p.responsibilities, base.responsibilities[perm], atol=1e-8)
    moved = cp.GMMParams(init.weights, init.means * scale + shift, init.covariances * scale**2, "full")
    t = cp.gmm(X * scale + shift, 2, init=moved, tol=0, max_iter=10, reg_covar=0.0)
    np.testing.assert_allclose(t.means, base.means * scale + shift, rtol=1e-7, atol=1e-7 * (scale + abs(shift)))
    np.testing.assert_allclose(t.covariances, base.covariances * scale**2, rtol=1e-6, atol=1e-9 * scale**2)
    # the density scales by 1/scale^D
    assert t.log_likelihood == pytest.approx(base.log_likelihood - 120 * 2 * np.log(scale), rel=1e-8, abs=1e-6)


def test_inputs_are_never_modified():
    X = data(seed=11)
    X.setflags(write=False)
    X0 = X.copy()
    r = cp.gmm(X, 2, seed=0)
    R = r.responsibilities.copy()
    R.setflags(write=False)
    cp.m_step(X, R, "full", 1e-6)
    cp.e_step(X, r.params)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(R, r.responsibilities)
    assert not r.params.means.flags.writeable


# --- results: sampling, scores -----------------------------------------------------


def test_sample_recovers_the_parameters():
    true = cp.GMMParams([0.3, 0.7], [[0.0, 0.0], [6.0, 1.0]], [np.diag([1.0, 0.2]), [[2.0, 0.8], [0.8, 1.0]]], "full")
    X, labels = true.sample(20_000, seed=0)
    assert abs(labels.mean() - 0.7) < 0.02
    for k in range(2):
        np.testing.assert_allclose(X[labels == k].mean(axis=0), true.means[k], atol=0.06)
        np.testing.assert_allclose(np.cov(X[labels == k].T), true.covariances[k], atol=0.1)


def test_bic_and_aic():
    X = data(300, seed=12)
    r = cp.gmm(X, 3, seed=0)
    p = cp.n_parameters(r)
    assert p == 2 + 3 * 2 + 3 * 3
    assert cp.bic(X, r) == pytest.approx(-2 * r.log_likelihood + p * np.log(300))
    assert cp.aic(X, r) == pytest.approx(-2 * r.log_likelihood + 2 * p)
    assert {t: cp.n_parameters(cp.gmm(X, 3, covariance_type=t, seed=0)) for t in TYPES} == {
        "full": 17, "tied": 11, "diag": 14, "spherical": 11,
    }
    # BIC picks the true number of clusters on well-separated data
    bics = [cp.bic(X, cp.gmm(X, k, seed=0)) for k in range(1, 6)]
    assert int(np.argmin(bics)) + 1 == 3


def test_expected_complete_log_likelihood_with_one_hot_is_classification_loglik():
    X = data(90, seed=13)
    r = cp.gmm(X, 3, seed=0)
    R = np.eye(3)[r.labels]
    a = r.params.log_prob_components(X)
    assert cp.expected_complete_log_likelihood(X, R, r.params) == pytest.approx(a[np.arange(90), r.labels].sum())
    # and with the E-step responsibilities Q + H(r) = log-likelihood (the EM identity)
    Rr = r.responsibilities
    entropy = -np.sum(np.where(Rr > 0, Rr * np.log(np.where(Rr > 0, Rr, 1.0)), 0.0))
    assert cp.expected_complete_log_likelihood(X, Rr, r.params) + entropy == pytest.approx(r.log_likelihood, rel=1e-10)


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"covariance_type": "ful"}, ValueError, "Did you mean 'full'"),
        ({"init": "kmean"}, ValueError, "Did you mean 'kmeans'"),
        ({"init": 3}, TypeError, "init must be"),
        ({"reg_covar": -1.0}, ValueError, "reg_covar must be non-negative"),
        ({"tol": -1.0}, ValueError, "tol must be non-negative"),
        ({"n_components": 0}, ValueError, "n_components must be between 1"),
        ({"max_iter": 1.5}, TypeError, "max_iter must be an integer"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    X = data(30, seed=14)
    kwargs = {"n_components": 2, **kwargs}
    with pytest.raises(exc, match=match):
        cp.gmm(X, **kwargs)


def test_bad_params():
    with pytest.raises(ValueError, match="sum to one"):
        cp.GMMParams([0.5, 0.6], [[0.0], [1.0]], [1.0, 1.0], "spherical")
    with pytest.raises(ValueError, match="must have shape"):
        cp.GMMParams([0.5, 0.5], [[0.0], [1.0]], [1.0], "spherical")
    with pytest.raises(ValueError, match="not positive definite.*reg_covar"):
        cp.GMMParams([1.0], [[0.0, 0.0]], [[[1.0, 1.0], [1.0, 1.0]]], "full")
    with pytest.raises(ValueError, match="symmetric"):
        cp.GMMParams([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.0, 1.0]]], "full")
    with pytest.raises(ValueError, match="covariance_type"):
        cp.gmm(data(30), 2, init=cp.GMMParams([1.0, 0.0], [[0.0, 0.0], [1.0, 1.0]], [1.0, 1.0], "spherical"))


def test_singular_covariance_without_regulariser_is_reported():
    X = np.vstack([np.zeros((5, 2)), np.random.default_rng(0).normal(size=(20, 2)) + 10])
    R = np.zeros((25, 2))
    R[:5, 0] = 1
    R[5:, 1] = 1
    with pytest.raises(ValueError, match="Increase reg_covar"):
        cp.m_step(X, R, "full", reg_covar=0.0)


def test_e_step_with_overflowing_distances_raises_instead_of_nan():
    p = cp.GMMParams([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [1.0, 1.0], "spherical")
    X = np.array([[1e300, -1e300], [0.5, 0.5]])
    with pytest.raises(ValueError, match="overflow float64"):
        cp.e_step(X, p)
    assert cp.log_likelihood(X, p) == -np.inf  # the true value is below -1e600: the closest float


# --- restarts ----------------------------------------------------------------------------


def tied_grid_data():
    """100 points whose second coordinate is rounded to integers: ML EM can collapse onto ties."""
    rng = np.random.default_rng(1)
    return np.column_stack([rng.normal(0, 1, 100), np.round(rng.normal(0, 2, 100))])


def test_n_init_keeps_the_best_run_and_every_runs_value():
    X = data(seed=3)
    r = cp.gmm(X, 3, n_init=4, seed=11, max_iter=200)
    children = np.random.default_rng(11).spawn(4)
    singles = [cp.gmm(X, 3, seed=child, max_iter=200) for child in children]
    np.testing.assert_array_equal(r.log_likelihoods_per_init, [s.log_likelihood for s in singles])
    assert r.log_likelihood == max(s.log_likelihood for s in singles)
    assert r.degenerate_per_init.tolist() == [False] * 4
    again = cp.gmm(X, 3, n_init=4, seed=11, max_iter=200)  # reproducible from the seed
    np.testing.assert_array_equal(again.means, r.means)
    one = cp.gmm(X, 3, seed=11, max_iter=200)  # n_init=1 uses the seed's stream itself
    np.testing.assert_array_equal(one.log_likelihoods_per_init, [one.log_likelihood])


def test_n_init_skips_degenerate_runs():
    X = tied_grid_data()
    kw = dict(covariance_type="diag", n_init=10, max_iter=500, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        plain = cp.gmm(X, 4, skip_degenerate=False, **kw)
        skipped = cp.gmm(X, 4, **kw)
    # the same ten runs; the plain choice is the spurious one with the highest likelihood
    np.testing.assert_array_equal(plain.log_likelihoods_per_init, skipped.log_likelihoods_per_init)
    np.testing.assert_array_equal(plain.degenerate_per_init, skipped.degenerate_per_init)
    flags = skipped.degenerate_per_init
    assert 0 < flags.sum() < flags.size
    assert plain.is_degenerate
    assert plain.log_likelihood == plain.log_likelihoods_per_init.max()
    assert not skipped.is_degenerate
    assert skipped.log_likelihood == skipped.log_likelihoods_per_init[~flags].max()


def test_every_run_degenerate_warns():
    X = tied_grid_data()[:60]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        with pytest.warns(cp.DegenerateWarning, match="spurious maximiser"):
            r = cp.gmm(X, 5, covariance_type="diag", n_init=3, max_iter=500, seed=0)
    assert r.degenerate_per_init.all() and r.is_degenerate
    with warnings.catch_warnings():  # a single run only reports it on the result
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        warnings.simplefilter("error", cp.DegenerateWarning)
        one = cp.gmm(X, 5, covariance_type="diag", max_iter=500, seed=int(np.random.default_rng(0).integers(9)))
    assert one.degenerate_per_init.tolist() == [one.is_degenerate]


def test_n_init_with_explicit_init_is_rejected():
    X = data()
    init = cp.gmm(X, 3, max_iter=0, seed=0).params
    with pytest.raises(ValueError, match="n_init must be 1 when init is a GMMParams"):
        cp.gmm(X, 3, init=init, n_init=2)


def test_n_init_warns_once_for_the_kept_run():
    X = data(seed=4)
    with pytest.warns(cp.ConvergenceWarning, match="best of the 3 runs") as record:
        cp.gmm(X, 3, n_init=3, max_iter=2, seed=0)
    assert len([w for w in record if issubclass(w.category, cp.ConvergenceWarning)]) == 1


# --- degeneracy --------------------------------------------------------------------------


def test_a_component_on_tied_values_is_degenerate():
    # Old Faithful: waiting times in whole minutes; put one component on the eruptions that
    # share the most frequent waiting time
    X = cp.load_faithful().data
    values, counts = np.unique(X[:, 1], return_counts=True)
    tied = X[:, 1] == values[np.argmax(counts)]
    assert tied.sum() >= 10
    R = np.zeros((len(X), 2))
    R[tied, 1] = 1.0
    R[~tied, 0] = 1.0
    for covariance_type in ("full", "diag"):
        p = cp.m_step(X, R, covariance_type)
        flags, reasons = cp.degenerate_components(X, p)
        assert flags.tolist() == [False, True]
        assert "lower-dimensional" in reasons[1] and reasons[0] == ""


def test_honest_small_clusters_are_not_degenerate():
    rng = np.random.default_rng(0)
    big = rng.normal(0.0, 5.0, (300, 2))
    small = rng.normal([40.0, 40.0], 0.05, (6, 2))  # six points, 100 times narrower than the rest
    X = np.vstack([big, small])
    r = cp.gmm(X, 2, seed=0)
    assert sorted(np.bincount(r.labels).tolist()) == [6, 300]
    assert r.degenerate.tolist() == [False, False]
    assert r.degenerate_reasons == ("", "")
    flags, _ = cp.degenerate_components(X, r)
    assert not flags.any()


def test_too_few_points_for_the_covariance_type():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 1, (50, 3)), [[20.0, 20.0, 20.0], [21.0, 19.0, 20.5]]])
    R = np.zeros((52, 2))
    R[:50, 0] = 1.0
    R[50:, 1] = 1.0  # two points: N_k = 2 is not above D = 3 for a full covariance
    flags, reasons = cp.degenerate_components(X, cp.m_step(X, R, "full"))
    assert flags.tolist() == [False, True] and "N_k = 2 is not above 3" in reasons[1]
    flags, _ = cp.degenerate_components(X, cp.m_step(X, R, "spherical"))  # two points suffice
    assert flags.tolist() == [False, False]
    flags, _ = cp.degenerate_components(X, cp.m_step(X, R, "tied"))
    assert flags.tolist() == [False, False]


def test_degeneracy_is_invariant_to_affine_units():
    X = tied_grid_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (cp.ConvergenceWarning, cp.DegenerateWarning))
        a = cp.gmm(X, 4, covariance_type="full", max_iter=300, seed=3)
    assert a.is_degenerate
    # the same mixture in other units that mix the axes: y = A x + b
    A, b, eps = np.array([[3.0, 1.0], [0.5, 0.01]]), np.array([1e3, -7.0]), a.reg_covar
    S = a.covariances - eps * np.eye(2)  # the data part of every covariance
    moved = cp.GMMParams(a.weights, a.means @ A.T + b, A @ S @ A.T + eps * np.eye(2), "full")
    flags, _ = cp.degenerate_components(X @ A.T + b, moved, reg_covar=eps)
    np.testing.assert_array_equal(flags, a.degenerate)


# --- float32 input -----------------------------------------------------------------------


def test_float32_data_fit_exactly_like_their_float64_values():
    X32 = data(seed=5).astype(np.float32)
    a = cp.gmm(X32, 3, seed=0)
    b = cp.gmm(X32.astype(np.float64), 3, seed=0)
    np.testing.assert_array_equal(a.means, b.means)
    assert a.log_likelihood == b.log_likelihood


def test_float32_parameters_are_accepted_as_produced():
    rng = np.random.default_rng(0)
    worst = 0.0
    for k in (3, 7, 50):
        for _ in range(50):
            w = rng.random(k).astype(np.float32)
            w /= w.sum()  # normalised in float32: sums to one within ~1e-7 only
            worst = max(worst, abs(float(w.astype(np.float64).sum()) - 1.0))
            means = rng.normal(size=(k, 2)).astype(np.float32)
            A = rng.normal(size=(k, 2, 2)).astype(np.float32)
            covs = A @ np.swapaxes(A, 1, 2) + np.float32(0.1) * np.eye(2, dtype=np.float32)
            p = cp.GMMParams(w, means, covs, "full")
            assert abs(p.weights.sum() - 1.0) < 1e-15  # renormalised in float64
    assert worst > 1e-8  # float64's tolerance would have rejected some of these
    # float64 weights keep the float64 tolerance
    with pytest.raises(ValueError, match="sum to one"):
        cp.GMMParams([0.5, 0.5 + 1e-7], [[0.0], [1.0]], [1.0, 1.0], "spherical")


def test_float32_responsibilities_are_accepted_by_m_step():
    X = data(seed=6)
    R = np.random.default_rng(0).random((len(X), 300)).astype(np.float32)
    R /= R.sum(axis=1, keepdims=True)
    p = cp.m_step(X, R, "spherical")
    assert p.n_components == 300


# --- clusters far apart compared with their spreads ------------------------------


def _far_init(ctype, C):
    covs = {"full": np.array([np.eye(2)] * 3), "tied": np.eye(2), "diag": np.ones((3, 2)), "spherical": np.ones(3)}
    return cp.GMMParams([0.3, 0.3, 0.4], C + np.array([[0.0, 0.2], [-0.5, 0.0], [0.5, 0.1]]), covs[ctype], ctype)


@pytest.mark.parametrize("f", [1e7, 1e8])
@pytest.mark.parametrize("ctype", TYPES)
def test_e_step_far_apart_clusters_is_the_difference_e_step(f, ctype, far_apart):
    # the round-2 referee: tied/diag/spherical responsibilities were off by up to 0.12 at f = 1e8
    X, C = far_apart.data(f)
    params = _far_init(ctype, C)
    R, ll = cp.e_step(X, params)
    R_ref, ll_ref = far_apart.e_step(X, params)
    np.testing.assert_allclose(R, R_ref, rtol=0, atol=1e-9)
    assert ll == pytest.approx(ll_ref, rel=1e-12)


@pytest.mark.parametrize("f", [1e7, 1e8])
@pytest.mark.parametrize("ctype", TYPES)
@pytest.mark.parametrize("engine", ["plain", "blocked"])
def test_gmm_far_apart_clusters_is_em_with_the_difference_e_step(f, ctype, engine, far_apart):
    X, C = far_apart.data(f, n=1000)
    params = init = _far_init(ctype, C)
    history = []
    for _ in range(5):  # EM whose E-step forms x_n - mu_k
        R, ll = far_apart.e_step(X, params)
        history.append(ll)
        params = cp.m_step(X, R, ctype, reg_covar=1e-6)
    history.append(far_apart.e_step(X, params)[1])
    r = cp.gmm(X, 3, covariance_type=ctype, init=init, max_iter=5, tol=0, engine=engine)
    # a mean near f is known to its float64 spacing only, and a change of one spacing moves
    # the next responsibilities by about that much (spread 1): the fits agree to the data's
    # own resolution, and every E-step to 1e-9 (below)
    tol = 16 * np.spacing(f)
    np.testing.assert_allclose(r.history.log_likelihood, history, rtol=0, atol=X.shape[0] * tol)
    np.testing.assert_allclose(r.weights, params.weights, rtol=0, atol=tol)
    np.testing.assert_allclose(r.means, params.means, rtol=0, atol=tol)
    np.testing.assert_allclose(r.covariances, params.covariances, rtol=tol)
    np.testing.assert_allclose(r.responsibilities, far_apart.e_step(X, r.params)[0], rtol=0, atol=1e-9)


def test_m_step_given_e_steps_pair_names_the_slip():
    # m_step(X, e_step(X, p)) passes (responsibilities, log_likelihood)
    X = np.array([[0.0], [1.0], [9.0], [11.0]])
    p = cp.GMMParams([0.5, 0.5], [[0.0], [10.0]], [1.0, 1.0], "spherical")
    with pytest.raises(TypeError, match=r"responsibilities .*tuple of length 2.*first element"):
        cp.m_step(X, cp.e_step(X, p), "spherical")
    R, _ = cp.e_step(X, p)
    assert np.allclose(cp.m_step(X, R, "spherical").means.ravel(), [0.5, 10.0])
    # a tuple of rows is still an array_like
    rows = tuple(tuple(r) for r in np.round(R))
    assert np.allclose(cp.m_step(X, rows, "spherical").means.ravel(), [0.5, 10.0])
