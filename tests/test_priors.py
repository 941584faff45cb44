"""Tests of companion.priors and MAP-EM: defaults, the MAP M-step, monotonicity, the ML limit, engines."""

import warnings

import numpy as np
import pytest

import companion as cp
from companion.priors import ConjugatePrior, default_prior, log_prior

TYPES = cp.COVARIANCE_TYPES


def blobs(n=240, seed=0):
    covs = [np.array([[2.0, 0.6], [0.6, 0.5]]), np.diag([0.3, 1.5]), np.eye(2) * 0.4]
    X, _ = cp.make_anisotropic_blobs(n, cp.circle_centers(3, 3.0), covs, seed=seed)
    return X


def random_responsibilities(n, k, seed):
    R = np.random.default_rng(seed).random((n, k)) ** 3
    return R / R.sum(axis=1, keepdims=True)


# --- the default prior -------------------------------------------------------------------


def test_default_prior_is_mclusts_default():
    X = cp.load_iris().data
    p = default_prior(X, 3)
    d = X.shape[1]
    np.testing.assert_allclose(p.mean, X.mean(axis=0))
    assert p.shrinkage == 0.01 and p.dof == d + 2 and p.strength == 1.0
    # var(data) / G^(2/d), with R's unbiased var()
    np.testing.assert_allclose(p.scale, np.cov(X, rowvar=False, ddof=1) / 3 ** (2 / d))
    # spherical: mclust's (1/G)^(2/d) * sum(apply(data, 2, var)) / d
    assert p.scale_for("spherical") == pytest.approx((1 / 3) ** (2 / d) * X.var(axis=0, ddof=1).sum() / d)
    np.testing.assert_allclose(p.scale_for("diag"), X.var(axis=0, ddof=1) / 3 ** (2 / d))
    assert p.scale_for("tied") is p.scale


def test_prior_overrides_and_validation():
    X = blobs()
    p = default_prior(X, 2, shrinkage=0.0, dof=7.0, scale=np.eye(2), mean=[1.0, 2.0], strength=0.5)
    assert (p.shrinkage, p.dof, p.strength, p.mean.tolist()) == (0.0, 7.0, 0.5, [1.0, 2.0])
    with pytest.raises(ValueError, match="positive definite"):
        ConjugatePrior([0.0, 0.0], 0.01, 4.0, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="shape \\(2, 2\\)"):
        ConjugatePrior([0.0, 0.0], 0.01, 4.0, np.eye(3))
    with pytest.raises(ValueError, match="symmetric"):
        ConjugatePrior([0.0, 0.0], 0.01, 4.0, [[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="dof must be positive"):
        ConjugatePrior([0.0], 0.01, 0.0, [[1.0]])
    with pytest.raises(ValueError, match="strength must be positive"):
        p.with_strength(0.0)
    with pytest.raises(ValueError, match="constant features"):
        default_prior(np.column_stack([X[:, 0], np.ones(len(X))]), 2)
    with pytest.raises(ValueError, match="prior must have 2 features"):
        cp.gmm(X, 2, prior=ConjugatePrior([0.0], 0.01, 3.0, [[1.0]]))
    with pytest.raises(ValueError, match="Did you mean 'default'"):
        cp.gmm(X, 2, prior="defualt")
    with pytest.raises(TypeError, match="prior must be None, 'default' or a ConjugatePrior"):
        cp.gmm(X, 2, prior=1.0)


# --- the MAP M-step ----------------------------------------------------------------------


def perturbations(params, rng, size):
    """Nearby parameters of the same type (means moved, covariances scaled along random directions)."""
    k, d = params.means.shape
    for _ in range(12):
        means = params.means + size * rng.normal(size=(k, d))
        c = params.covariances
        if params.covariance_type in ("full", "tied"):
            A = np.eye(d) + size * rng.normal(size=c.shape)
            covs = A @ c @ np.swapaxes(A, -1, -2)
        else:
            covs = c * np.exp(size * rng.normal(size=c.shape))
        yield cp.GMMParams(params.weights, means, covs, params.covariance_type)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_map_m_step_maximises_q_plus_log_prior(covariance_type):
    # Q(theta) + log p(theta) at the M-step's output beats every nearby theta (and the ML M-step)
    X = blobs(seed=1)
    R = random_responsibilities(len(X), 3, seed=2)
    prior = default_prior(X, 3, shrinkage=0.5, strength=3.0)  # strong, so it matters
    best = cp.m_step(X, R, covariance_type, reg_covar=0.0, prior=prior)

    def objective(p):
        return cp.expected_complete_log_likelihood(X, R, p) + log_prior(prior, p.means, p.covariances, covariance_type)

    top = objective(best)
    rng = np.random.default_rng(3)
    for size in (1e-3, 1e-2, 1e-1):
        for other in perturbations(best, rng, size):
            assert objective(other) < top
    ml = cp.m_step(X, R, covariance_type, reg_covar=0.0)
    assert objective(ml) < top
    assert not np.allclose(ml.covariances, best.covariances)  # the prior changed something


@pytest.mark.parametrize("covariance_type", TYPES)
def test_map_m_step_formulas_for_one_component(covariance_type):
    # K = 1, hard responsibilities: the posterior mode in closed form, written out independently
    X = blobs(60, seed=4)
    n, d = X.shape
    prior = ConjugatePrior([0.5, -1.0], 0.2, 5.0, [[2.0, 0.3], [0.3, 1.0]], strength=2.0)
    p = cp.m_step(X, np.ones((n, 1)), covariance_type, reg_covar=0.0, prior=prior)
    t, kappa, nu, Lam, mu0 = 2.0, 0.4, 5.0, prior.scale, prior.mean  # kappa_t = t * 0.2
    xbar = X.mean(axis=0)
    W = (X - xbar).T @ (X - xbar)
    B = n * kappa / (n + kappa) * np.outer(xbar - mu0, xbar - mu0)
    np.testing.assert_allclose(p.means[0], (n * xbar + kappa * mu0) / (n + kappa), rtol=1e-12)
    numerator = t * Lam + W + B
    expected = {
        "full": numerator / (n + t * (nu + d + 2)),
        "tied": numerator / (n + t * (nu + d + 1 + 1)),
        "diag": np.diag(numerator) / (n + t * (nu + 3)),
        # one inverse gamma with scale tr(Lambda) / D on sigma^2: Fraley and Raftery's spherical prior
        "spherical": (t * np.trace(Lam) / d + np.trace(W + B)) / (d * n + t * (nu + d + 2)),
    }[covariance_type]
    np.testing.assert_allclose(np.squeeze(p.covariances), np.squeeze(expected), rtol=1e-12)


# --- MAP-EM ------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["plain", "blocked"])
@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_map_em_never_decreases_the_penalised_log_likelihood(covariance_type, engine, seed):
    X = blobs(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        r = cp.gmm(X, 4, covariance_type=covariance_type, prior="default", max_iter=60, tol=0,
                   engine=engine, seed=seed)
    assert r.reg_covar == 0.0  # the prior is the regulariser
    pen = r.history.penalised_log_likelihood
    assert np.all(np.diff(pen) >= -1e-10 * np.abs(pen[1:]))
    # the recorded value is L(theta) + log p(theta) at every iterate
    lp = log_prior(r.prior, r.means, r.covariances, covariance_type)
    assert r.penalised_log_likelihood == pytest.approx(r.log_likelihood + lp, rel=1e-13)
    assert pen[-1] == pytest.approx(r.penalised_log_likelihood, rel=1e-13)
    assert not np.allclose(pen, r.history.log_likelihood)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_prior_strength_to_zero_gives_maximum_likelihood_em(covariance_type):
    X = blobs(seed=5)
    init = cp.gmm(X, 3, covariance_type=covariance_type, max_iter=0, seed=5).params
    ml = cp.gmm(X, 3, covariance_type=covariance_type, init=init, max_iter=25, tol=0, reg_covar=1e-6)
    errors = []
    for strength in (1e-2, 1e-4, 1e-6, 1e-8):
        prior = default_prior(X, 3, strength=strength)
        mp = cp.gmm(X, 3, covariance_type=covariance_type, init=init, max_iter=25, tol=0,
                    reg_covar=1e-6, prior=prior)
        errors.append(max(np.abs(mp.means - ml.means).max(), np.abs(mp.covariances - ml.covariances).max()))
    assert errors[-1] < 1e-6
    assert all(b < a for a, b in zip(errors, errors[1:]))  # it tends to ML as the strength falls


@pytest.mark.parametrize("covariance_type", TYPES)
def test_blocked_engine_runs_map_em_like_the_plain_one(covariance_type):
    X = blobs(seed=6)
    kw = dict(covariance_type=covariance_type, prior="default", max_iter=30, tol=0, seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        a, b = cp.gmm(X, 3, engine="plain", **kw), cp.gmm(X, 3, engine="blocked", **kw)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_allclose(a.means, b.means, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.covariances, b.covariances, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.history.penalised_log_likelihood, b.history.penalised_log_likelihood, rtol=1e-11)


def test_prior_cures_the_spurious_fit_on_tied_values():
    # data recorded on an integer grid in one coordinate: ML EM collapses onto tied points
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(0, 1, 100), np.round(rng.normal(0, 2, 100))])
    kw = dict(covariance_type="diag", n_init=10, max_iter=500, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        ml = cp.gmm(X, 4, skip_degenerate=False, **kw)
        mp = cp.gmm(X, 4, prior="default", **kw)
    assert ml.is_degenerate and ml.degenerate_per_init.any()
    assert not mp.is_degenerate and not mp.degenerate_per_init.any()
    assert mp.covariances.min() > 1e-3  # no variance at the regulariser's floor


def test_prior_follows_extreme_rescaling():
    # data near 1e200 are fitted as X / 2**e; the prior and the penalised values come back in units of X
    X = blobs(seed=7)
    s = 2.0**400  # beyond 2**100: fitted rescaled; the covariances (1e241) still fit in float64
    kw = dict(covariance_type="full", max_iter=15, tol=0, seed=7, engine="plain")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        a = cp.gmm(X, 3, prior="default", **kw)
        b = cp.gmm(X * s, 3, prior="default", **kw)
    np.testing.assert_allclose(b.means / s, a.means, rtol=1e-10)
    np.testing.assert_allclose(b.prior.mean / s, a.prior.mean, rtol=1e-12)
    lp = log_prior(b.prior, b.means, b.covariances, "full")
    assert b.penalised_log_likelihood == pytest.approx(b.log_likelihood + lp, rel=1e-12)
    # the whole history moves by the same constant
    np.testing.assert_allclose(np.diff(b.history.penalised_log_likelihood),
                               np.diff(a.history.penalised_log_likelihood), rtol=1e-8, atol=1e-8)
