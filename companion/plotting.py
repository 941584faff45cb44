"""Plotting helpers for the book's figures (needs matplotlib).

The algorithms never import this module; matplotlib is imported when a
helper is first called.  One palette, :data:`CLUSTER_COLORS`, gives cluster
``k`` the same colour in every figure of a chapter.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CLUSTER_COLORS", "cluster_color", "plot_clusters", "plot_covariance_ellipses", "ellipse_axes"]

#: Colour-blind-friendly palette (Okabe and Ito), cluster k gets entry k mod 8.
CLUSTER_COLORS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)


def cluster_color(k):
    """The colour of cluster ``k`` in every figure."""
    return CLUSTER_COLORS[int(k) % len(CLUSTER_COLORS)]


def plot_clusters(ax, X, labels=None, centers=None, *, s=8, alpha=0.6, center_marker="X"):
    """Scatter 2-D points coloured by ``labels``, with optional centres.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    X : array_like, shape (n_samples, 2)
    labels : array_like of int, shape (n_samples,), optional
    centers : array_like, shape (n_clusters, 2), optional
        Drawn as large markers in their cluster's colour with a black edge.

    Returns
    -------
    ax
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n_samples, 2) to be plotted; got {X.shape}")
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, alpha=alpha, color="0.4", linewidths=0)
    else:
        labels = np.asarray(labels)
        colors = [cluster_color(k) for k in labels]
        ax.scatter(X[:, 0], X[:, 1], s=s, alpha=alpha, c=colors, linewidths=0)
    if centers is not None:
        centers = np.asarray(centers, dtype=np.float64)
        for k, c in enumerate(centers):
            ax.scatter(
                c[0], c[1], s=160, marker=center_marker, color=cluster_color(k),
                edgecolors="black", linewidths=1.2, zorder=3,
            )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def ellipse_axes(covariance, n_std=1.0):
    """Width, height and angle (degrees) of the ``n_std``-standard-deviation ellipse.

    The ellipse :math:`\\{x : (x-\\mu)^\\top\\Sigma^{-1}(x-\\mu) = c^2\\}` has
    semi-axes :math:`c\\sqrt{\\lambda_i}` along the eigenvectors of
    :math:`\\Sigma` (standard deviations, not variances).

    Examples
    --------
    >>> import numpy as np
    >>> w, h, angle = ellipse_axes(np.diag([4.0, 1.0]), n_std=1.0)
    >>> float(w), float(h), float(angle)
    (4.0, 2.0, 0.0)
    """
    Sigma = np.asarray(covariance, dtype=np.float64)
    eigvals, eigvecs = np.linalg.eigh(Sigma)
    order = np.argsort(eigvals)[::-1]
    eigvals, eigvecs = eigvals[order], eigvecs[:, order]
    width, height = 2.0 * n_std * np.sqrt(np.maximum(eigvals, 0.0))
    angle = np.degrees(np.arctan2(eigvecs[1, 0], eigvecs[0, 0]))
    if np.isclose(angle, 180.0) or np.isclose(angle, -180.0):
        angle = 0.0
    return width, height, angle + 0.0


def plot_covariance_ellipses(ax, params, *, n_std=(1.0, 2.0), alpha=0.9):
    """Draw the 1- and 2-standard-deviation ellipses of every 2-D component.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    params : GMMParams or GMMResult
        A two-dimensional mixture (any covariance type).
    n_std : sequence of float
        Which Mahalanobis radii to draw.

    Returns
    -------
    ax
    """
    from matplotlib.patches import Ellipse

    params = getattr(params, "params", params)
    if params.n_features != 2:
        raise ValueError(f"ellipses need a 2-D mixture; got {params.n_features} features")
    covs = params.full_covariances()
    for k, (mu, Sigma) in enumerate(zip(params.means, covs)):
        for c in n_std:
            w, h, angle = ellipse_axes(Sigma, c)
            ax.add_patch(
                Ellipse(
                    mu, w, h, angle=angle, fill=False, lw=2.0 if c == n_std[0] else 1.0,
                    ls="-" if c == n_std[0] else "--", color=cluster_color(k), alpha=alpha,
                )
            )
        ax.plot(*mu, marker="+", color="black", ms=10, mew=2)
    return ax
