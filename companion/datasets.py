"""Small synthetic data sets for the book's experiments.

Every generator takes a keyword-only ``seed`` and returns ``(X, labels)`` with
``X`` of shape (n_samples, n_features) and the generating component of every
point in ``labels``.  They are thin wrappers around :meth:`GMMParams.sample`,
so the data are draws from a known Gaussian mixture.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_data, check_int, check_real
from .mixture import GMMParams

__all__ = ["make_blobs", "make_anisotropic_blobs", "circle_centers"]


def circle_centers(n_clusters, radius=1.0, n_features=2):
    """``n_clusters`` centres evenly spaced on a circle of ``radius`` (first two axes).

    Parameters
    ----------
    n_clusters : int
        Number of centres, at least 1.
    radius : float, default 1.0
        Radius of the circle, non-negative.
    n_features : int, default 2
        Dimension of the centres, at least 2 (the circle lies in the first two axes).

    Returns
    -------
    centers : ndarray, shape (n_clusters, n_features)
        Centre ``k`` is at angle ``2 pi k / n_clusters``.

    Examples
    --------
    >>> circle_centers(4, radius=2.0).round(12).tolist()
    [[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [-0.0, -2.0]]
    """
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    radius = check_real(radius, "radius", nonnegative=True)
    n_features = check_int(n_features, "n_features", minimum=2)
    angles = 2.0 * np.pi * np.arange(n_clusters) / n_clusters
    centers = np.zeros((n_clusters, n_features))
    centers[:, 0] = radius * np.cos(angles)
    centers[:, 1] = radius * np.sin(angles)
    return centers


def make_blobs(n_samples, centers, *, std=1.0, weights=None, seed=None):
    """Isotropic Gaussian blobs: the data k-means is built for.

    Parameters
    ----------
    n_samples : int
        Number of points.
    centers : array_like, shape (n_clusters, n_features)
        Blob centres.
    std : float or array_like, shape (n_clusters,), default 1.0
        Standard deviation of every blob (one per blob, or shared).
    weights : array_like, shape (n_clusters,), optional
        Probability of each blob; equal by default.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (n_samples, n_features)
    labels : ndarray, shape (n_samples,)

    Examples
    --------
    >>> X, y = make_blobs(6, [[0.0, 0.0], [5.0, 5.0]], std=0.5, seed=1)
    >>> X.shape, y.shape
    ((6, 2), (6,))
    """
    centers = check_data(centers, "centers")
    k = centers.shape[0]
    std = np.broadcast_to(np.asarray(std, dtype=np.float64), (k,))
    if not np.all(np.isfinite(std)) or np.any(std <= 0):
        raise ValueError("std must be positive and finite")
    weights = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
    params = GMMParams(weights, centers, std**2, "spherical")
    return params.sample(n_samples, seed=seed)


def make_anisotropic_blobs(n_samples, centers, covariances, *, weights=None, seed=None):
    """Gaussian blobs with a full covariance matrix each (ellipsoidal clusters).

    Parameters
    ----------
    n_samples : int
    centers : array_like, shape (n_clusters, n_features)
    covariances : array_like, shape (n_clusters, n_features, n_features)
        Symmetric positive-definite covariance of every blob.
    weights : array_like, shape (n_clusters,), optional
    seed : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (n_samples, n_features)
    labels : ndarray, shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> covs = [np.diag([4.0, 0.1]), np.diag([0.1, 4.0])]
    >>> X, y = make_anisotropic_blobs(10, [[0.0, 0.0], [6.0, 0.0]], covs, seed=0)
    >>> X.shape
    (10, 2)
    """
    centers = check_data(centers, "centers")
    k = centers.shape[0]
    weights = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
    params = GMMParams(weights, centers, covariances, "full")
    return params.sample(n_samples, seed=seed)
