"""Tests of companion.selection: n_parameters, BIC, AIC, ICL against independent computations, select_gmm."""

import warnings

import numpy as np
import pytest

import companion as cp

TYPES = cp.COVARIANCE_TYPES


def blobs(n=200, seed=0):
    X, _ = cp.make_blobs(n, cp.circle_centers(3, 3.0), std=[0.6, 1.0, 0.8], seed=seed)
    return X


def tied_grid_data():
    """100 points whose second coordinate is rounded to integers: ML EM can collapse onto ties."""
    rng = np.random.default_rng(1)
    return np.column_stack([rng.normal(0, 1, 100), np.round(rng.normal(0, 2, 100))])


def brute_force_log_density(X, params):
    """log pi_k N(x_n | mu_k, Sigma_k) with det and inv (the reference, not the package's Cholesky path)."""
    n, d = X.shape
    out = np.empty((n, params.n_components))
    for k, (w, mu, S) in enumerate(zip(params.weights, params.means, params.full_covariances())):
        diff = X - mu
        maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(S), diff)
        out[:, k] = np.log(w) - 0.5 * (d * np.log(2 * np.pi) + np.log(np.linalg.det(S)) + maha)
    return out


@pytest.mark.parametrize("covariance_type", TYPES)
def test_icl_equals_its_formula_computed_independently(covariance_type):
    X = blobs(seed=1)
    r = cp.gmm(X, 3, covariance_type=covariance_type, seed=1)
    a = brute_force_log_density(X, r.params)
    ll = np.log(np.exp(a).sum(axis=1))
    R = np.exp(a - ll[:, None])
    z = R.argmax(axis=1)
    p = cp.n_parameters(r)
    bic = -2 * ll.sum() + p * np.log(len(X))
    icl = bic - 2 * np.sum(np.log(R[np.arange(len(X)), z]))
    assert cp.bic(X, r) == pytest.approx(bic, rel=1e-12)
    assert cp.icl(X, r) == pytest.approx(icl, rel=1e-12)
    assert cp.icl(X, r) > cp.bic(X, r)  # overlapping blobs: the labels are not certain
    # mclust's sign convention: its ICL is its BIC (2 L - p log N) plus 2 sum C log z
    mclust_bic = 2 * ll.sum() - p * np.log(len(X))
    C = np.zeros_like(R)
    C[np.arange(len(X)), z] = 1.0
    assert -(mclust_bic + 2 * np.sum(C * np.log(R))) == pytest.approx(cp.icl(X, r), rel=1e-12)


def test_icl_equals_bic_for_separated_components():
    X, _ = cp.make_blobs(90, cp.circle_centers(3, 100.0), std=0.5, seed=2)
    r = cp.gmm(X, 3, covariance_type="spherical", seed=2)
    assert cp.icl(X, r) == pytest.approx(cp.bic(X, r), abs=1e-9)


def test_criteria_reject_other_objects():
    with pytest.raises(TypeError, match="expected a GMMResult or GMMParams"):
        cp.icl(np.zeros((3, 1)), "full")


def test_select_gmm_table_agrees_with_a_brute_force_loop():
    X = blobs(seed=3)
    ks, types = [1, 2, 3], ("full", "diag", "spherical")
    sel = cp.select_gmm(X, ks, types, n_init=2, seed=5, keep_fits=True)
    seeds = np.random.default_rng(5).integers(2**63, size=len(ks) * len(types)).reshape(3, 3)
    np.testing.assert_array_equal(sel.seeds, seeds)
    for i, k in enumerate(ks):
        for j, ctype in enumerate(types):
            r = cp.gmm(X, k, covariance_type=ctype, n_init=2, seed=int(seeds[i, j]))
            assert sel.log_likelihood[i, j] == r.log_likelihood
            assert sel.n_parameters[i, j] == cp.n_parameters(r)
            assert sel.bic[i, j] == cp.bic(X, r)
            assert sel.icl[i, j] == cp.icl(X, r)
            assert sel.aic[i, j] == cp.aic(X, r)
            assert sel.degenerate[i, j] == r.is_degenerate
            np.testing.assert_array_equal(sel.fits[k, ctype].means, r.means)
    i, j = np.unravel_index(np.argmin(sel.bic), sel.bic.shape)
    assert sel.best_index == (i, j)
    assert (sel.best_n_components, sel.best_covariance_type) == (ks[i], types[j])
    assert sel.best.log_likelihood == sel.log_likelihood[i, j]
    assert len(list(sel.rows())) == 9 and "BIC" in sel.format()


def test_select_gmm_never_returns_a_degenerate_fit_by_default():
    X = tied_grid_data()
    kw = dict(n_components=range(1, 5), covariance_types=("full", "diag"), n_init=5, max_iter=300, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        plain = cp.select_gmm(X, skip_degenerate=False, **kw)
        default = cp.select_gmm(X, **kw)
        with_prior = cp.select_gmm(X, prior="default", **kw)
    assert plain.best.is_degenerate  # a plain BIC loop picks the spurious fit ...
    assert plain.degenerate[plain.best_index]
    assert not default.best.is_degenerate  # ... the default never does
    assert not default.degenerate[default.best_index]
    assert default.bic[default.best_index] > plain.bic[plain.best_index]
    # the same runs: the tables differ only in the cells whose best run was spurious
    same = ~plain.degenerate
    np.testing.assert_array_equal(plain.bic[same], default.bic[same])
    assert not with_prior.degenerate.any() and not with_prior.best.is_degenerate
    assert with_prior.best.prior is not None


def test_select_gmm_by_icl_and_all_degenerate_warning():
    X = blobs(seed=4)
    sel = cp.select_gmm(X, [2, 3], ("spherical",), criterion="icl", seed=0)
    assert sel.criterion == "icl" and sel.best_index == tuple(np.unravel_index(np.argmin(sel.icl), sel.icl.shape))
    Xt = tied_grid_data()[:60]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        with pytest.warns(cp.DegenerateWarning, match="every fitted mixture is degenerate"):
            cp.select_gmm(Xt, [5], ("diag",), n_init=2, max_iter=500, seed=0)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(n_components=[]), ValueError, "at least one number"),
        (dict(covariance_types=()), ValueError, "at least one covariance type"),
        (dict(covariance_types=("ful",)), ValueError, "Did you mean 'full'"),
        (dict(criterion="bicc"), ValueError, "Did you mean 'bic'"),
        (dict(n_components=[0]), ValueError, "n_components must be at least 1"),
    ],
)
def test_select_gmm_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cp.select_gmm(blobs(30), **kwargs)
