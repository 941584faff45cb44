"""Sufficient statistics and the one M-step every fit shares.

Every engine of :mod:`companion` (the plain step functions, the blocked
kernels, the Dask map-reduce) reduces an E-step or an assignment step to the
same small statistics, and turns them into parameters with the same code:

* **Lloyd** needs per-cluster counts and sums (:func:`cluster_sums`); empty
  clusters follow one policy (:func:`relocate_empty`).
* **EM** needs, per component, :math:`N_k = \\sum_n r_{nk}`, the weighted mean
  :math:`\\bar x_k = \\sum_n r_{nk} x_n / N_k` and the *centred* scatter
  :math:`S_k = \\sum_n r_{nk} (x_n - \\bar x_k)(x_n - \\bar x_k)^\\top`
  (the book's ``eq-scale-statistics``), held in :class:`Moments`.  Centred
  statistics of two sets of rows merge exactly with the pairwise formula of
  Chan, Golub and LeVeque (:meth:`Moments.merge`, the book's ``eq-scale-merge``),

  .. math::

      N = N_a + N_b,\\quad \\bar x = \\bar x_a + \\frac{N_b}{N}(\\bar x_b - \\bar x_a),\\quad
      S = S_a + S_b + \\frac{N_a N_b}{N}(\\bar x_b - \\bar x_a)(\\bar x_b - \\bar x_a)^\\top ,

  so no step ever forms the raw moment :math:`G_k = \\sum_n r_{nk} x_n x_n^\\top`,
  whose difference with :math:`N_k \\bar x_k \\bar x_k^\\top` (``eq-scale-scatter``)
  cancels catastrophically when the data sit far from the origin (timestamps, say).

The covariance type is chosen once, through two small tables: which summary
of :math:`S_k` a type needs (:data:`SCATTER_LAYOUT`: the full matrices, their
sum over components, their diagonals or their traces; engines compute only
that) and how that summary becomes a covariance (:data:`COVARIANCE_FROM_SCATTER`,
the book's ``eq-gmm-mstep-cov``).  :func:`gaussian_parameters` is the whole
M-step: it serves EM, the k-means initialisation of :func:`~companion.gmm`
and the Dask driver.  A conjugate prior (MAP-EM with a normal-inverse-Wishart
prior, :mod:`companion.priors`) changes only this map from statistics to
parameters.

References
----------
T. F. Chan, G. H. Golub and R. J. LeVeque, "Updating formulae and a pairwise
algorithm for computing sample variances", Stanford CS-TR-79-773 (1979),
and COMPSTAT 1982; the analysis is in their "Algorithms for computing the
sample variance: analysis and recommendations", The American Statistician
37 (1983).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import DegenerateWarning, warn

__all__ = [
    "COVARIANCE_FROM_SCATTER",
    "SCATTER_LAYOUT",
    "Moments",
    "cluster_sums",
    "gaussian_parameters",
    "relocate_empty",
    "weighted_moments",
]

#: Added to every N_k in the M-step (as scikit-learn does): a component with no
#: responsibility gets the data mean as its mean instead of 0/0.
DELTA = 10 * np.finfo(np.float64).eps

#: The summary of the scatter matrices S_k each covariance type needs.
SCATTER_LAYOUT = {"full": "full", "tied": "pooled", "diag": "diag", "spherical": "trace"}

_SUMMARIES = {
    "full": lambda W: W,  # (K, D, D)
    "pooled": lambda W: W.sum(axis=0),  # sum_k S_k, (D, D)
    "diag": lambda W: np.diagonal(W, axis1=1, axis2=2).copy(),  # (K, D)
    "trace": lambda W: np.trace(W, axis1=1, axis2=2),  # (K,)
}


def _add_to_diagonal(S, value):
    d = S.shape[-1]
    S[..., np.arange(d), np.arange(d)] += value
    return S


#: Covariances from (summary of W, N_k + delta, D, reg_covar)   (eq-gmm-mstep-cov)
COVARIANCE_FROM_SCATTER = {
    # Sigma_k = S_k / N_k + eps I
    "full": lambda W, Nk, d, reg: _add_to_diagonal(W / Nk[:, None, None], reg),
    # Sigma = sum_k S_k / N + eps I
    "tied": lambda W, Nk, d, reg: _add_to_diagonal(W / Nk.sum(), reg),
    # (Sigma_k)_dd = (S_k)_dd / N_k + eps
    "diag": lambda W, Nk, d, reg: W / Nk[:, None] + reg,
    # sigma_k^2 = tr S_k / (D N_k) + eps
    "spherical": lambda W, Nk, d, reg: W / (d * Nk) + reg,
}


@dataclass(frozen=True, eq=False)
class Moments:
    """Per-component weight, weighted mean and centred scatter of some rows.

    Attributes
    ----------
    Nk : ndarray, shape (K,)
        :math:`N_k = \\sum_n r_{nk}`.
    means : ndarray, shape (K, D)
        :math:`\\bar x_k`; the centre of the rows for a component with :math:`N_k = 0`.
    scatter : ndarray
        :math:`S_k` in the layout ``layout`` (see :data:`SCATTER_LAYOUT`).
    layout : {"full", "pooled", "diag", "trace"}
    centre : ndarray, shape (D,)
        Mean of the rows, :math:`\\bar x` (the mean of a component with no weight).
    """

    Nk: np.ndarray
    means: np.ndarray
    scatter: np.ndarray
    layout: str
    centre: np.ndarray

    def merge(self, other):
        """The moments of the union of two disjoint sets of rows (Chan, Golub and LeVeque; ``eq-scale-merge``)."""
        if self.layout != "full" or other.layout != "full":
            raise ValueError("only moments with full scatter matrices can be merged")
        Na, Nb = self.Nk, other.Nk
        N = Na + Nb
        with np.errstate(invalid="ignore", divide="ignore"):
            fb = np.where(N > 0, Nb / N, 0.0)
        delta = other.means - self.means
        means = self.means + fb[:, None] * delta  # xbar = xbar_a + (N_b / N)(xbar_b - xbar_a)   (eq-scale-merge)
        # S = S_a + S_b + (N_a N_b / N) delta delta^T   (eq-scale-merge)
        scatter = self.scatter + other.scatter + (Na * fb)[:, None, None] * delta[:, :, None] * delta[:, None, :]
        ta, tb = Na.sum(), Nb.sum()
        centre = self.centre + (tb / (ta + tb) if ta + tb > 0 else 0.0) * (other.centre - self.centre)
        return Moments(N, means, scatter, "full", centre)

    def in_layout(self, covariance_type):
        """These moments with the scatter summary ``covariance_type`` needs."""
        layout = SCATTER_LAYOUT[covariance_type]
        if layout == self.layout:
            return self
        if self.layout != "full":
            raise ValueError(f"cannot turn a {self.layout!r} scatter into a {layout!r} one")
        return Moments(self.Nk, self.means, _SUMMARIES[layout](self.scatter), layout, self.centre)


def weighted_moments(X, R, layout="full"):
    """:class:`Moments` of the rows of ``X`` weighted by the columns of ``R``, in two passes.

    The first pass gives :math:`N_k` and :math:`\\bar x_k`, the second the scatter
    about :math:`\\bar x_k` (only the summary ``layout`` needs), so nothing cancels
    however far the data sit from the origin.
    """
    Nk = R.sum(axis=0)  # N_k = sum_n r_nk
    centre = X.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        # xbar_k = sum_n r_nk x_n / N_k, computed about the data mean   (eq-gmm-mstep-mean)
        means = centre + (R.T @ (X - centre)) / Nk[:, None]
    means[Nk <= 0] = centre
    k, d = R.shape[1], X.shape[1]
    if layout in ("full", "pooled"):
        W = np.empty((k, d, d))
        for j in range(k):
            diff = X - means[j]
            # S_k = sum_n r_nk (x_n - xbar_k)(x_n - xbar_k)^T   (eq-scale-statistics)
            W[j] = (R[:, j, None] * diff).T @ diff
        W = 0.5 * (W + np.swapaxes(W, 1, 2))
        scatter = W if layout == "full" else W.sum(axis=0)
    else:
        W = np.empty((k, d))
        for j in range(k):
            diff = X - means[j]
            W[j] = R[:, j] @ (diff * diff)  # diagonal of S_k
        scatter = W if layout == "diag" else W.sum(axis=1)
    return Moments(Nk, means, scatter, layout, centre)


def _outer_layout(f, diff, layout):
    """sum of f_k diff_k diff_k^T in the scatter ``layout`` (the prior's pull on the means)."""
    if layout == "full":
        return f[:, None, None] * diff[:, :, None] * diff[:, None, :]
    if layout == "pooled":
        return (f[:, None] * diff).T @ diff
    if layout == "diag":
        return f[:, None] * diff * diff
    return f * np.einsum("kd,kd->k", diff, diff)


def _posterior_mode(m, Nk, covariance_type, reg_covar, prior):
    """Means and covariances of the MAP M-step (Fraley and Raftery 2007), see gaussian_parameters."""
    t = prior.strength
    kappa = t * prior.shrinkage  # the mean's prior is worth kappa observations
    diff = m.means - prior.mean  # xbar_k - mu_P
    # mu_k = (N_k xbar_k + kappa mu_P) / (N_k + kappa)
    means = m.means - (kappa / (Nk + kappa))[:, None] * diff
    f = Nk * kappa / (Nk + kappa)
    # Psi_k = t Lambda + S_k + (N_k kappa / (N_k + kappa)) (xbar_k - mu_P)(xbar_k - mu_P)^T, in the type's layout
    Psi = t * np.asarray(prior.scale_for(covariance_type)) + m.scatter + _outer_layout(f, diff, m.layout)
    c = prior.pseudo_count(covariance_type, Nk.size)
    d = m.means.shape[1]
    if covariance_type == "full":  # Sigma_k = Psi_k / (N_k + nu + D + 2) + eps I
        return means, _add_to_diagonal(Psi / (Nk + c)[:, None, None], reg_covar)
    if covariance_type == "tied":  # Sigma = Psi / (N + nu + D + 1 + K) + eps I
        return means, _add_to_diagonal(Psi / (Nk.sum() + c), reg_covar)
    if covariance_type == "diag":  # sigma_kj^2 = Psi_kj / (N_k + nu + 3) + eps
        return means, Psi / (Nk + c)[:, None] + reg_covar
    # sigma_k^2 = Psi_k / (D N_k + nu + D + 2) + eps
    return means, Psi / (d * Nk + c) + reg_covar


def gaussian_parameters(moments, covariance_type, reg_covar, prior=None):
    """The M-step: weights, means and covariances from :class:`Moments` (one map for every engine).

    .. math::

        \\pi_k = \\frac{N_k}{N}, \\qquad \\mu_k = \\bar x_k, \\qquad
        \\Sigma_k = \\frac{S_k}{N_k} + \\epsilon I

    (``eq-gmm-mstep-weights``, ``eq-gmm-mstep-mean``, ``eq-gmm-mstep-cov``),
    with ``tied``, ``diag`` and ``spherical`` from the table
    :data:`COVARIANCE_FROM_SCATTER`.  Every :math:`N_k` is increased by
    :data:`DELTA` (as in scikit-learn), which pulls the mean of a component
    towards the data mean by :math:`\\delta / (N_k + \\delta)`: a component
    with no responsibility gets the data mean, never 0/0.

    **With a conjugate prior** (:class:`~companion.priors.ConjugatePrior`,
    hyperparameters :math:`\\mu_{\\mathcal P}, \\kappa, \\nu, \\Lambda`, strength
    :math:`t`) this is the M-step of MAP-EM: the maximiser of
    :math:`Q(\\theta, \\theta') + t\\log p(\\theta)`.  The weights are
    unchanged; with :math:`\\kappa_t = t\\kappa`,

    .. math::

        \\mu_k = \\frac{N_k \\bar x_k + \\kappa_t \\mu_{\\mathcal P}}{N_k + \\kappa_t}, \\qquad
        \\Sigma_k = \\frac{t\\Lambda + S_k + \\frac{N_k\\kappa_t}{N_k+\\kappa_t}
              (\\bar x_k-\\mu_{\\mathcal P})(\\bar x_k-\\mu_{\\mathcal P})^\\top}{N_k + t(\\nu + D + 2)} + \\epsilon I

    for ``full``; the other types restrict the numerator to their layout (its
    sum over components, its diagonal, its trace) and divide by
    :math:`N + t(\\nu + D + 1 + K)` (tied), :math:`N_k + t(\\nu + 3)` (diag) or
    :math:`D N_k + t(\\nu + D + 2)` (spherical): see
    :meth:`~companion.priors.ConjugatePrior.pseudo_count`.  Setting the
    derivative of :math:`Q + t \\log p` to zero gives these in one line each
    (the mean's prior and likelihood combine into the outer-product term).

    Returns
    -------
    weights : ndarray, shape (K,)
    means : ndarray, shape (K, D)
    covariances : ndarray, in the layout of ``covariance_type``
    """
    m = moments.in_layout(covariance_type)
    Nk = m.Nk + DELTA
    weights = Nk / Nk.sum()  # pi_k = N_k / N   (eq-gmm-mstep-weights)
    if prior is not None:
        return (weights, *_posterior_mode(m, Nk, covariance_type, reg_covar, prior))
    # mu_k = sum_n r_nk x_n / N_k   (eq-gmm-mstep-mean), the delta pulling towards x-bar
    means = m.means + (DELTA / Nk)[:, None] * (m.centre - m.means)
    d = m.means.shape[1]
    covariances = COVARIANCE_FROM_SCATTER[covariance_type](m.scatter, Nk, d, reg_covar)
    return weights, means, covariances


def cluster_sums(X, labels, n_clusters):
    """Counts :math:`N_k` and sums :math:`\\sum_{z_n = k} x_n`, shapes (K,) and (K, D).

    ``np.bincount`` per feature: the fastest numpy-only way, in the order of the rows.
    """
    counts = np.bincount(labels, minlength=n_clusters)
    sums = np.empty((n_clusters, X.shape[1]))
    for j in range(X.shape[1]):
        sums[:, j] = np.bincount(labels, weights=X[:, j], minlength=n_clusters)
    return counts, sums


def relocate_empty(X, labels, centers, empty):
    """Move each empty cluster's centre to the worst-explained points (one policy for every engine).

    The empty clusters, in order of index, take the point farthest from the
    centre of its own cluster, the second farthest, ...; ties go to the lowest
    row index.  This never increases :math:`J` and warns with a
    :class:`DegenerateWarning`.
    """
    warn(
        f"{empty.size} cluster(s) became empty; their centres were moved to the "
        "points farthest from their own cluster's centre",
        DegenerateWarning,
    )
    diff = X - centers[labels]
    d2 = np.einsum("nd,nd->n", diff, diff)
    order = np.argsort(-d2, kind="stable")  # farthest first, ties to the lowest index
    centers = centers.copy()
    centers[empty] = X[order[: empty.size]]
    return centers
