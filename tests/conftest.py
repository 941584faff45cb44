"""Shared pytest configuration for the unit tests, the doctests, nbval and
the browser test.

pytest's own settings (testpaths, --doctest-modules, ignored folders,
markers) are in ``pyproject.toml``; ``make test`` adds ``--nbval`` and the
xdist options.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD_HTML = ROOT / "_build" / "html"

try:  # hypothesis is a test requirement, but keep conftest importable without it
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover
    settings = None

if settings is not None:
    # No per-example deadline: timings on a loaded 2-core CI machine (with
    # two xdist workers and notebook kernels running) are too noisy for it.
    settings.register_profile(
        "default",
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    # On CI, the same examples every run, so a failure is reproducible.
    settings.register_profile(
        "ci",
        parent=settings.get_profile("default"),
        derandomize=True,
        print_blob=True,
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    """The repository root (the folder holding ``_config.yml``)."""
    return ROOT


@pytest.fixture(scope="session")
def built_html() -> pathlib.Path:
    """``_build/html`` of the built book; fails with a hint when it is missing."""
    if not (BUILD_HTML / "index.html").is_file():
        pytest.fail(f"{BUILD_HTML} has no built book: run `make book` first", pytrace=False)
    return BUILD_HTML


class FarApart:
    """The round-2 referee's far-apart clusters and difference-based references.

    Three clusters of spread 1 at (-f, 0), (f, 0) and (f + 3, 0): no single
    reference point is near all of them, so the expanded norm about any one
    point loses every digit of the small distances once f is about 1e7.  The
    references form the differences ``x_n - mu_k`` first, as the style guide's
    plain broadcast formula does.
    """

    @staticmethod
    def data(f, n=2000, seed=0):
        rng = np.random.default_rng(seed)
        centres = np.array([[-f, 0.0], [f, 0.0], [f + 3.0, 0.0]])
        X = np.vstack([rng.normal(c, 1.0, (n, 2)) for c in centres])
        return X[rng.permutation(X.shape[0])], centres

    @staticmethod
    def distances(X, centers):
        return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)

    @classmethod
    def labels(cls, X, centers):
        return np.argmin(cls.distances(X, centers), axis=1)

    @staticmethod
    def log_terms(X, params):
        """log pi_k + log N(x_n | mu_k, Sigma_k) from x_n - mu_k and Cholesky solves."""
        n, d = X.shape
        out = np.empty((n, params.n_components))
        for k, Sigma in enumerate(params.full_covariances()):
            L = np.linalg.cholesky(Sigma)
            z = np.linalg.solve(L, (X - params.means[k]).T)
            out[:, k] = np.log(params.weights[k]) - 0.5 * (
                d * np.log(2 * np.pi) + 2 * np.sum(np.log(np.diag(L))) + np.sum(z * z, axis=0)
            )
        return out

    @classmethod
    def e_step(cls, X, params):
        a = cls.log_terms(X, params)
        m = a.max(axis=1, keepdims=True)
        log_norm = m + np.log(np.exp(a - m).sum(axis=1, keepdims=True))
        return np.exp(a - log_norm), float(log_norm.sum())

    @classmethod
    def lloyd(cls, X, centers, max_iter=300):
        """Lloyd's algorithm with the difference formula: (centres, labels, n_iter)."""
        labels = cls.labels(X, centers)
        for it in range(1, max_iter + 1):
            centers = np.array([X[labels == k].mean(axis=0) for k in range(centers.shape[0])])
            new = cls.labels(X, centers)
            if np.array_equal(new, labels):
                return centers, labels, it
            labels = new
        raise AssertionError("the reference Lloyd run did not converge")


@pytest.fixture(scope="session")
def far_apart():
    """:class:`FarApart`: the far-apart clusters and their difference-based references."""
    return FarApart
