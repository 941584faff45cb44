"""Shared numerics: squared distances, log-sum-exp and Gaussian log-densities.

Three rules keep every algorithm in :mod:`companion` stable:

* Squared distances use the expanded norm
  :math:`\\lVert x - \\mu\\rVert^2 = \\lVert x\\rVert^2 - 2 x^\\top\\mu + \\lVert\\mu\\rVert^2`,
  one matrix product per block of rows, clipped at zero (rounding can make the
  expansion slightly negative).  Rows are processed in chunks so that memory
  stays bounded for large ``N``.
* Normalised probabilities are computed in log space with log-sum-exp,
  :math:`\\log\\sum_k e^{a_k} = m + \\log\\sum_k e^{a_k - m}` with
  :math:`m = \\max_k a_k`, so a density that underflows to zero does not turn a
  responsibility into ``0/0``.
* Gaussian densities are evaluated through the Cholesky factor
  :math:`\\Sigma = L L^\\top`: the Mahalanobis term is
  :math:`\\lVert L^{-1}(x-\\mu)\\rVert^2` and
  :math:`\\log\\det\\Sigma = 2\\sum_i \\log L_{ii}`; no inverse or determinant of
  :math:`\\Sigma` is ever formed.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_data

__all__ = [
    "squared_distances",
    "logsumexp",
    "log_gaussian_density",
]

#: Number of rows processed per block by :func:`squared_distances` and friends.
CHUNK_ROWS = 4096

#: log(2 pi), the constant of every Gaussian log-density.
LOG_2PI = float(np.log(2.0 * np.pi))


def squared_distances(X, centers):
    """Squared Euclidean distances between every point and every centre.

    .. math::

        D_{nk} = \\lVert x_n - \\mu_k \\rVert^2
               = \\lVert x_n\\rVert^2 - 2\\, x_n^\\top \\mu_k + \\lVert \\mu_k\\rVert^2

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Data points :math:`x_n`.
    centers : array_like, shape (n_clusters, n_features)
        Centres :math:`\\mu_k`.

    Returns
    -------
    D : ndarray, shape (n_samples, n_clusters)
        Non-negative squared distances.

    Examples
    --------
    >>> import numpy as np
    >>> squared_distances(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0]]))
    array([[ 0.],
           [25.]])
    """
    X = check_data(X, "X")
    centers = check_data(centers, "centers")
    if centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"centers must have {X.shape[1]} features like X; got shape {centers.shape}"
        )
    return _squared_distances(X, centers)


def _squared_distances(X, centers, x_sq=None):
    """Unchecked :func:`squared_distances` (float64 inputs), computed in row chunks."""
    n = X.shape[0]
    out = np.empty((n, centers.shape[0]))
    c_sq = np.einsum("kd,kd->k", centers, centers)
    if x_sq is None:
        x_sq = np.einsum("nd,nd->n", X, X)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        _distance_chunk(X[start:stop], centers, x_sq[start:stop], c_sq, out[start:stop])
    return out


def _distance_chunk(Xc, centers, x_sq, c_sq, out):
    """One chunk of :func:`_squared_distances`, written into ``out``."""
    # ||x_n - mu_k||^2 = ||x_n||^2 - 2 x_n . mu_k + ||mu_k||^2, clipped at 0
    # (the expansion of eq-kmeans-centres-only)
    np.matmul(Xc, centers.T, out=out)
    out *= -2.0
    out += x_sq[:, None]
    out += c_sq[None, :]
    np.maximum(out, 0.0, out=out)
    return out


def _nearest_of_rows(X, centers, rows, x_sq=None):
    """``argmin_k`` of ``_squared_distances(X, centers, x_sq)`` for the rows ``rows`` only.

    Only the chunks of :data:`CHUNK_ROWS` rows that contain ``rows`` are
    computed, by the same calls on the same arrays as the full computation,
    so the distances, and the ties they decide, are those of the full matrix
    bit for bit.  ``x_sq`` must be ``einsum("nd,nd->n", X, X)`` of the whole
    ``X`` (computed if None).
    """
    rows = np.asarray(rows, dtype=np.intp)
    if rows.size == 0:
        return rows.copy()
    c_sq = np.einsum("kd,kd->k", centers, centers)
    if x_sq is None:
        x_sq = np.einsum("nd,nd->n", X, X)
    chunk = rows // CHUNK_ROWS
    nearest = np.empty(rows.size, dtype=np.intp)
    for c in np.unique(chunk):
        start = int(c) * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, X.shape[0])
        block = _distance_chunk(
            X[start:stop], centers, x_sq[start:stop], c_sq, np.empty((stop - start, centers.shape[0]))
        )
        mine = chunk == c
        nearest[mine] = np.argmin(block[rows[mine] - start], axis=1)
    return nearest


def logsumexp(a, axis=-1):
    """Stable :math:`\\log\\sum_k \\exp(a_k)` along ``axis``.

    .. math::

        \\operatorname{logsumexp}(a) = m + \\log \\sum_k e^{a_k - m},
        \\qquad m = \\max_k a_k

    Entries equal to ``-inf`` contribute nothing; a slice that is all ``-inf``
    gives ``-inf`` (never NaN).

    Parameters
    ----------
    a : array_like
        Log-values.
    axis : int, default -1
        Axis to reduce.

    Returns
    -------
    ndarray
        ``a`` reduced along ``axis``.

    Examples
    --------
    >>> float(logsumexp(np.array([1000.0, 1000.0])))  # exp(1000) overflows; this does not
    1000.6931471805599
    """
    a = np.asarray(a, dtype=np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def log_gaussian_density(X, mean, covariance):
    """Log-density of one multivariate normal at every row of ``X``.

    .. math::

        \\log \\mathcal{N}(x \\mid \\mu, \\Sigma) =
        -\\tfrac{D}{2}\\log(2\\pi) - \\tfrac12 \\log\\det\\Sigma
        - \\tfrac12 (x-\\mu)^\\top \\Sigma^{-1} (x-\\mu)

    evaluated with the Cholesky factor :math:`\\Sigma = LL^\\top`:
    :math:`(x-\\mu)^\\top\\Sigma^{-1}(x-\\mu) = \\lVert L^{-1}(x-\\mu)\\rVert^2` and
    :math:`\\log\\det\\Sigma = 2\\sum_i\\log L_{ii}`.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Points :math:`x_n`.
    mean : array_like, shape (n_features,)
        Mean :math:`\\mu`.
    covariance : float or array_like, shape (n_features,) or (n_features, n_features)
        :math:`\\Sigma`: a scalar variance :math:`\\sigma^2` (meaning
        :math:`\\sigma^2 I`), the diagonal of a diagonal covariance, or a full
        symmetric positive-definite matrix.

    Returns
    -------
    ndarray, shape (n_samples,)
        :math:`\\log\\mathcal N(x_n\\mid\\mu,\\Sigma)` for every row.

    Examples
    --------
    The standard normal at its mean in one dimension is
    :math:`-\\tfrac12\\log(2\\pi)`:

    >>> import numpy as np
    >>> float(log_gaussian_density([[0.0]], [0.0], 1.0)[0])
    -0.9189385332046727
    """
    X = check_data(X, "X")
    d = X.shape[1]
    mean = np.asarray(mean, dtype=np.float64)
    if mean.shape != (d,):
        raise ValueError(f"mean must have shape (n_features,) = ({d},); got shape {mean.shape}")
    if not np.isfinite(mean).all():
        raise ValueError("mean contains NaN or infinite values")
    cov = np.asarray(covariance, dtype=np.float64)
    if not np.isfinite(cov).all():
        raise ValueError("covariance contains NaN or infinite values")
    diff = X - mean
    if cov.ndim == 0 or cov.shape == (d,):
        var = np.broadcast_to(cov, (d,))
        if (var <= 0).any():
            raise ValueError("covariance must be positive (a variance or a diagonal of variances)")
        maha = np.einsum("nd,nd->n", diff / var, diff)
        log_det = np.sum(np.log(var))
    elif cov.shape == (d, d):
        L = cholesky_factor(cov, "covariance")
        z = np.linalg.solve(L, diff.T)
        maha = np.einsum("dn,dn->n", z, z)
        log_det = 2.0 * np.sum(np.log(np.diag(L)))
    else:
        raise ValueError(
            f"covariance must be a scalar, shape ({d},) or ({d}, {d}); got shape {cov.shape}"
        )
    return -0.5 * (d * LOG_2PI + log_det + maha)  # (eq-gmm-normal)


def cholesky_factor(Sigma, name="covariance"):
    """Lower Cholesky factor of a symmetric positive-definite matrix, or a clear error."""
    if not np.allclose(Sigma, Sigma.T, rtol=1e-10, atol=1e-12 * np.max(np.abs(Sigma), initial=0.0)):
        raise ValueError(f"{name} must be symmetric")
    try:
        return np.linalg.cholesky(Sigma)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{name} is not positive definite (singular or nearly so). Increase "
            "reg_covar, reduce the number of components, or rescale the data."
        ) from None


def precision_cholesky(covariances, covariance_type):
    """Cholesky factors of the precisions, in the layout of ``covariance_type``.

    For ``full`` and ``tied`` this returns :math:`P = L^{-\\top}` where
    :math:`\\Sigma = LL^\\top`, so that :math:`\\Sigma^{-1} = P P^\\top` and
    :math:`\\lVert (x-\\mu)^\\top P\\rVert^2` is the Mahalanobis term.  For
    ``diag`` and ``spherical`` it returns :math:`1/\\sqrt{\\sigma^2}` elementwise.
    Raises ``ValueError`` with a remedy if a covariance is not positive definite.
    The matrices must be symmetric (:class:`~companion.GMMParams` checks that
    once); only their lower triangles are read.
    """
    if covariance_type in ("full", "tied"):
        mats = covariances.reshape(-1, covariances.shape[-1], covariances.shape[-1])
        try:
            L = np.linalg.cholesky(mats)  # one LAPACK call per matrix, batched
        except np.linalg.LinAlgError:
            for k, Sigma in enumerate(mats):  # find the culprit for the message
                cholesky_factor(Sigma, f"covariances[{k}]" if covariance_type == "full" else "covariances")
            raise  # pragma: no cover (cholesky_factor raised)
        # P = L^-T, so that Sigma^-1 = P P^T
        P = np.swapaxes(np.linalg.solve(L, np.broadcast_to(np.eye(L.shape[-1]), L.shape)), 1, 2)
        return P if covariance_type == "full" else P[0]
    if np.any(covariances <= 0):
        raise ValueError(
            "covariances must be positive. Increase reg_covar, reduce the number "
            "of components, or rescale the data."
        )
    return 1.0 / np.sqrt(covariances)


def log_gaussian_matrix(X, means, prec_chol, covariance_type):
    """Matrix of :math:`\\log\\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)`, shape (N, K).

    ``prec_chol`` comes from :func:`precision_cholesky`.  The data and the
    means are first centred on the mean of the means (a translation changes
    no density), so the expanded quadratic forms do not cancel for data far
    from the origin.
    """
    n, d = X.shape
    c = means.mean(axis=0)
    X, means = X - c, means - c
    if covariance_type == "full":
        out = np.empty((n, means.shape[0]))
        log_det = np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
        for j in range(means.shape[0]):
            # y = (x - mu_k)^T P_k ;  maha = ||y||^2 = (x - mu_k)^T Sigma_k^-1 (x - mu_k)   (eq-gmm-normal)
            y = (X - means[j]) @ prec_chol[j]
            out[:, j] = np.einsum("nd,nd->n", y, y)
    elif covariance_type == "tied":
        log_det = np.sum(np.log(np.diag(prec_chol)))
        out = _squared_distances(X @ prec_chol, means @ prec_chol)
    elif covariance_type == "diag":
        log_det = np.sum(np.log(prec_chol), axis=1)
        prec = prec_chol**2
        out = (
            np.sum(means**2 * prec, axis=1)[None, :]
            - 2.0 * (X @ (means * prec).T)
            + (X**2) @ prec.T
        )
        np.maximum(out, 0.0, out=out)
    else:  # spherical
        log_det = d * np.log(prec_chol)
        prec = prec_chol**2
        out = _squared_distances(X, means) * prec[None, :]
    # log N(x | mu, Sigma) = -(D/2) log 2 pi - (1/2) log det Sigma - maha / 2   (eq-gmm-normal)
    return -0.5 * (d * LOG_2PI + out) + log_det
