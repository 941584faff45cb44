"""Data and initial parameters for the benchmark cases (deterministic)."""

from __future__ import annotations

import numpy as np

#: Spread of the blob centres relative to the unit within-blob noise.  With
#: these, Lloyd's algorithm from K random data points changes labels for well
#: over 20 iterations (so the fixed-iteration runs never stop early) and still
#: converges within a few hundred.
KMEANS_SPREAD = 2.0


def blobs(n, d, k, *, spread=KMEANS_SPREAD, seed=0):
    """``n`` points from ``k`` overlapping unit-variance Gaussian blobs in ``d`` dimensions."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * spread
    X = centres[rng.integers(0, k, n)]
    X += rng.standard_normal((n, d))
    return X


def initial_centers(X, k, *, seed=1):
    """``k`` distinct data points chosen uniformly: the initial centres of both libraries."""
    rng = np.random.default_rng(seed)
    return X[rng.choice(X.shape[0], size=k, replace=False)].copy()


def anisotropic_blobs(n, d, k, *, seed=0):
    """``n`` points from ``k`` Gaussian blobs with random covariances (for EM)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * 3.0
    A = rng.standard_normal((k, d, d)) / np.sqrt(d) + np.eye(d)
    z = rng.integers(0, k, n)
    X = centres[z] + np.einsum("nij,nj->ni", A[z], rng.standard_normal((n, d)))
    return X
