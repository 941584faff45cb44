"""Shared numerics: squared distances, log-sum-exp and Gaussian log-densities.

Three rules keep every algorithm in :mod:`companion` stable:

* Squared distances use the expanded norm
  :math:`\\lVert x - \\mu\\rVert^2 = \\lVert x\\rVert^2 - 2 x^\\top\\mu + \\lVert\\mu\\rVert^2`,
  one matrix product per block of rows, clipped at zero (rounding can make the
  expansion slightly negative).  Rows are processed in chunks so that memory
  stays bounded for large ``N``.  The expansion errs by at most
  :math:`\\beta_D(\\lVert x\\rVert^2 + \\lVert\\mu\\rVert^2)`
  (``expansion_error_coefficient``), which is every digit of a small
  distance when the points sit far from the expansion point: clusters far
  apart compared with their spreads, or data far from the origin.  So every
  result is certified against that bound, and what it does not prove is
  recomputed from the differences :math:`x - \\mu`: the entries of
  :func:`squared_distances` (relative error below ``DISTANCE_RTOL``),
  the nearest centre of each row in the assignment step
  (:func:`_certified_argmin`), and the log-density terms that matter in the
  E-step (:func:`log_gaussian_matrix`, absolute error below
  :data:`LOG_DENSITY_ATOL`).  On ordinary data the certificates cost a
  comparison and recompute nothing.
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
    """Squared Euclidean distances between every point and every centre, to a relative error of 1e-8.

    .. math::

        D_{nk} = \\lVert x_n - \\mu_k \\rVert^2
               = \\lVert x_n - c\\rVert^2 - 2\\, (x_n - c)^\\top (\\mu_k - c) + \\lVert \\mu_k - c\\rVert^2

    computed with the expanded norm (one matrix product per block of rows),
    about the mean :math:`c` of the centres when that is far from the origin
    compared with their spread (else about the origin).  **Guarantee:**
    every entry is within a relative error of ``DISTANCE_RTOL``
    (``1e-8``) of the exact squared distance between the given rows,
    whatever their offset from the origin and however far apart the clusters
    are (zero where a point equals a centre).  The expanded form's rounding error is bounded for every
    entry by :math:`\\beta_D (\\lVert x_n - c\\rVert^2 + \\lVert \\mu_k - c\\rVert^2)`
    with :math:`\\beta_D = 2(D + 4)\\varepsilon_{\\mathrm{mach}}`
    (``expansion_error_coefficient``); the entries where that bound
    exceeds ``DISTANCE_RTOL`` times the value (points very near a centre, or
    clusters far apart compared with their spreads) are recomputed as
    :math:`\\sum_d (x_{nd} - \\mu_{kd})^2`, from the given arrays.

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

    Clusters far apart compared with their spreads, where the expanded form
    alone loses every digit of the small distances:

    >>> X = np.array([[1e8, 0.0], [1e8 + 3.0, 0.0]])
    >>> squared_distances(X, np.array([[-1e8, 0.0], [1e8 + 1.0, 0.0]]))[:, 1]
    array([1., 4.])
    """
    X = check_data(X, "X")
    centers = check_data(centers, "centers")
    if centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"centers must have {X.shape[1]} features like X; got shape {centers.shape}"
        )
    return _squared_distances(X, centers, centre=_offset_of(centers))


def _offset_of(centers):
    """The centres' mean when it is far from the origin compared with their spread (else None).

    Expanding about it then keeps the expanded form accurate for data sitting
    far from the origin (timestamps, say), where about the origin nearly
    every entry would have to be recomputed; elsewhere it would cost a
    shifted copy of every chunk for nothing.
    """
    c = centers.mean(axis=0)
    spread = float(np.max(np.einsum("kd,kd->k", centers - c, centers - c)))
    return c if float(c @ c) > 256.0 * spread else None


#: Every entry of :func:`squared_distances` has at most this relative error.
DISTANCE_RTOL = 1e-8

#: Entries of the (rows, K, D) temporary of :func:`_difference_distances`.
DIFFERENCE_ENTRIES = 1 << 18

_EPS = float(np.finfo(np.float64).eps)


def expansion_error_coefficient(n_features):
    """:math:`\\beta_D` such that the expanded squared distance is within
    :math:`\\beta_D(\\lVert x\\rVert^2 + \\lVert\\mu\\rVert^2)` of :math:`\\lVert x-\\mu\\rVert^2`.

    With :math:`u = \\varepsilon_{\\mathrm{mach}}/2`, a dot product of length
    :math:`D` (any summation order, with or without fused multiply-adds)
    errs by at most :math:`Du` times the sum of the absolute products:
    :math:`Du\\lVert x\\rVert^2`, :math:`Du\\lVert\\mu\\rVert^2` and
    :math:`2Du\\lVert x\\rVert\\lVert\\mu\\rVert \\le Du(\\lVert x\\rVert^2+\\lVert\\mu\\rVert^2)`
    for the three terms; the two additions err by at most
    :math:`2u` times their operands' size, :math:`2(\\lVert x\\rVert^2+\\lVert\\mu\\rVert^2)`;
    and shifting :math:`x` and :math:`\\mu` by a common point first (rounded
    subtractions) moves the exact value by at most
    :math:`4u(\\lVert x\\rVert^2+\\lVert\\mu\\rVert^2)`.  In all
    :math:`(2D + 8)u = (D + 4)\\varepsilon_{\\mathrm{mach}}`; this returns twice
    that, which also covers the higher-order terms and the form without
    :math:`\\lVert x\\rVert^2` that the assignment steps compare.  It is at
    least the book's ``{eq}`eq-scale-expanded-bound```,
    :math:`(D + 2)\\varepsilon_{\\mathrm{mach}}(\\lVert x\\rVert + \\lVert\\mu\\rVert)^2
    \\le 2(D + 2)\\varepsilon_{\\mathrm{mach}}(\\lVert x\\rVert^2 + \\lVert\\mu\\rVert^2)`.
    """
    return 2.0 * (n_features + 4) * _EPS


def _squared_distances(X, centers, x_sq=None, centre=None):
    """:func:`squared_distances` without checks (float64 inputs), in row chunks.

    With ``centre`` the expansion is done about that point (rows shifted
    chunk by chunk; ``x_sq`` must then be None); the entries whose rounding
    bound exceeds ``DISTANCE_RTOL`` of their value are recomputed from
    ``X`` and ``centers`` themselves.
    """
    n, d = X.shape
    out = np.empty((n, centers.shape[0]))
    C = centers if centre is None else centers - centre
    c_sq = np.einsum("kd,kd->k", C, C)
    coef = expansion_error_coefficient(d) / DISTANCE_RTOL
    for start, stop, xc, xs in _chunks(X, x_sq, centre):
        block = _distance_chunk(xc, C, xs, c_sq, out[start:stop])
        _fix_inaccurate_entries(X[start:stop], centers, xs, c_sq, block, coef)
    return out


def _chunks(X, x_sq=None, centre=None):
    """``(start, stop, rows, norms)`` for the chunks of CHUNK_ROWS rows of ``X``.

    ``rows`` are ``X[start:stop]``, shifted by ``centre`` when given, and
    ``norms`` their squared norms (``x_sq[start:stop]`` when ``x_sq`` is
    given: the norms of the unshifted rows, ``centre`` must then be None).
    """
    n = X.shape[0]
    if x_sq is None and centre is None:
        x_sq = np.einsum("nd,nd->n", X, X)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        if centre is None:
            yield start, stop, X[start:stop], x_sq[start:stop]
        else:
            xc = X[start:stop] - centre
            yield start, stop, xc, np.einsum("nd,nd->n", xc, xc)


def _fix_inaccurate_entries(X, centers, x_sq, c_sq, D, coef):
    """Recompute with differences the entries of ``D`` whose rounding bound is too large.

    Entry (n, k) is kept when ``D[n, k] >= coef * (x_sq[n] + c_sq[k])``,
    i.e. when the bound :math:`\\beta_D(\\lVert x\\rVert^2+\\lVert\\mu\\rVert^2)`
    is at most ``DISTANCE_RTOL`` times the value (NaN, from overflowing
    norms, is never kept).  The block's smallest entry is first tested
    against its largest bound, then every entry against that bound (both
    fast passes over contiguous memory); only the entries that fail (on
    ordinary data, points lying on or very near a centre) are tested
    against their own bound.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        t = coef * (float(np.max(x_sq)) + float(np.max(c_sq)))
        if float(np.min(D)) >= t:
            return D
        flat = np.flatnonzero(~(D.reshape(-1) >= t))
        rows, cols = np.divmod(flat, D.shape[1])
        bad = ~(D[rows, cols] >= coef * (x_sq[rows] + c_sq[cols]))
    rows, cols = rows[bad], cols[bad]
    if rows.size:
        # ||x_n - mu_k||^2 = sum_d (x_nd - mu_kd)^2 for these entries only
        diff = X[rows] - centers[cols]
        with np.errstate(over="ignore"):
            D[rows, cols] = np.einsum("nd,nd->n", diff, diff)
    return D


def _distance_chunk(Xc, centers, x_sq, c_sq, out):
    """One chunk of the expanded squared distances, written into ``out`` (no certificate)."""
    # ||x_n - mu_k||^2 = ||x_n||^2 - 2 x_n . mu_k + ||mu_k||^2, clipped at 0
    # (the expansion of eq-kmeans-centres-only)
    np.matmul(Xc, centers.T, out=out)
    out *= -2.0
    out += x_sq[:, None]
    out += c_sq[None, :]
    np.maximum(out, 0.0, out=out)
    return out


def _difference_distances(X, centers):
    """``((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)``, in row chunks.

    The plain broadcast formula: each entry to a relative error of about
    :math:`(D+3)\\varepsilon_{\\mathrm{mach}}/2`, at the cost of an
    (rows, K, D) temporary.
    """
    n, k = X.shape[0], centers.shape[0]
    out = np.empty((n, k))
    step = max(1, DIFFERENCE_ENTRIES // max(1, k * X.shape[1]))
    with np.errstate(over="ignore"):
        for s in range(0, n, step):
            out[s : s + step] = ((X[s : s + step, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return out


def _certified_argmin(X, centers, D, x_sq, c_sq_max, coef):
    """``argmin_k`` of the rows of ``D``, proven or recomputed with differences.

    ``D`` (m, K) holds the expanded squared distances of the rows ``X``,
    possibly without their constant ``||x_n||^2``; each entry errs by at
    most :math:`B_n = \\beta_D(\\lVert x_n\\rVert^2 + \\max_k\\lVert\\mu_k\\rVert^2)`
    (``coef`` is :math:`\\beta_D`).  A row whose second-smallest entry
    exceeds its smallest by more than :math:`3B_n` has a proven nearest
    centre: the exact one, strictly nearest by more than the rounding of
    the difference formula too (:math:`2B_n` for the two entries' errors,
    :math:`B_n` for the formula's).  Every other row (ties, near-ties,
    clusters far apart compared with their spreads) is recomputed with
    :func:`_difference_distances`.  Row-local: a row's label depends on its
    own entries only.  Ties go to the lowest index.  Returns the labels and
    the recomputed rows.
    """
    lab = np.argmin(D, axis=1)  # z_n = argmin_k ||x_n - mu_k||^2   (eq-kmeans-assign)
    m, k = D.shape
    if k == 1 or m == 0:
        return lab, np.empty(0, dtype=np.intp)
    rows = _unproven_rows(D, lab, x_sq, c_sq_max, coef)
    if rows.size:
        lab[rows] = np.argmin(_difference_distances(X[rows], centers), axis=1)
    return lab, rows


def _unproven_rows(D, lab, x_sq, c_sq_max, coef):
    """Rows of ``D`` with an entry other than ``lab`` within 3 B_n of the smallest (see above)."""
    m, k = D.shape
    with np.errstate(over="ignore", invalid="ignore"):
        # B_n = beta (||x_n||^2 + max_k ||mu_k||^2); the smallest entry, gathered flat
        thr = np.take(D.reshape(-1), lab + np.arange(0, m * k, k))
        thr += (3.0 * coef) * (x_sq + c_sq_max)
        far = D > thr[:, None]  # NaN compares False: never proven
    if np.count_nonzero(far) == m * (k - 1):
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(np.count_nonzero(far, axis=1) < k - 1)


def _nearest_chunk(X, m2C, c_sq_rows, out):
    """``||mu_k||^2 - 2 x_n . mu_k`` for the rows of one chunk, written into ``out``.

    The expanded squared distance without its constant ``||x_n||^2`` (which
    cannot change the nearest centre, the book's ``{eq}`eq-kmeans-centres-only```);
    ``c_sq_rows`` holds ``||mu_k||^2`` repeated on at least as many rows (an
    add of equal shapes is much faster than a broadcast along a short axis).
    """
    out = out[: X.shape[0]]
    np.matmul(X, m2C.T, out=out)  # -2 x_n . mu_k
    out += c_sq_rows[: X.shape[0]]  # + ||mu_k||^2
    return out


def _nearest(X, centers, x_sq=None, centre=None):
    """Certified nearest centre of every row (the assignment step), in row chunks.

    The expanded distances of :func:`_nearest_chunk`, then
    :func:`_certified_argmin` on every chunk: the exact argmin wherever the
    rounding bound proves it, the argmin of the difference formula
    elsewhere.  ``x_sq`` is ``einsum("nd,nd->n", X, X)`` (computed if None).
    With ``centre`` the expansion is done about that point (the rows are
    shifted chunk by chunk, ``x_sq`` must be None), and the uncertain rows
    are recomputed from ``X`` and ``centers`` themselves: the labels are
    then those of the unshifted arrays.
    """
    n, d = X.shape
    labels = np.empty(n, dtype=np.intp)
    C = centers if centre is None else centers - centre
    m2C, c_sq_rows, c_sq_max, coef = _nearest_terms(C, min(CHUNK_ROWS, n))
    buf = np.empty((min(CHUNK_ROWS, n), centers.shape[0]))
    for start, stop, xc, xs in _chunks(X, x_sq, centre):
        block = _nearest_chunk(xc, m2C, c_sq_rows, buf)
        labels[start:stop] = _certified_argmin(X[start:stop], centers, block, xs, c_sq_max, coef)[0]
    return labels


def _nearest_terms(C, rows):
    """``-2 C``, ``||mu_k||^2`` on ``rows`` rows, its maximum and beta_D, for :func:`_nearest_chunk`."""
    c_sq = np.einsum("kd,kd->k", C, C)
    coef = expansion_error_coefficient(C.shape[1])
    return -2.0 * C, np.tile(c_sq, (max(rows, 1), 1)), float(np.max(c_sq)), coef


def _nearest_of_rows(X, centers, rows, x_sq=None):
    """:func:`_nearest` for the rows ``rows`` only, bit for bit.

    Only the chunks of :data:`CHUNK_ROWS` rows that contain ``rows`` are
    computed, by the same calls on the same arrays as the full computation,
    and the certificate is row-local, so the labels, and the ties they
    decide, are those of :func:`_nearest`.  ``x_sq`` must be
    ``einsum("nd,nd->n", X, X)`` of the whole ``X`` (computed if None).
    """
    rows = np.asarray(rows, dtype=np.intp)
    if rows.size == 0:
        return rows.copy()
    n = X.shape[0]
    m2C, c_sq_rows, c_sq_max, coef = _nearest_terms(centers, min(CHUNK_ROWS, n))
    if x_sq is None:
        x_sq = np.einsum("nd,nd->n", X, X)
    chunk = rows // CHUNK_ROWS
    nearest = np.empty(rows.size, dtype=np.intp)
    buf = np.empty((min(CHUNK_ROWS, n), centers.shape[0]))
    for c in np.unique(chunk):
        start = int(c) * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, n)
        block = _nearest_chunk(X[start:stop], m2C, c_sq_rows, buf)
        mine = rows[chunk == c]
        nearest[chunk == c] = _certified_argmin(
            X[mine], centers, block[mine - start], x_sq[mine], c_sq_max, coef
        )[0]
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


#: Log-density terms :math:`\\log\\pi_k + \\log\\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)`
#: that matter to a point (see :func:`log_gaussian_matrix`) are accurate to this
#: absolute error, so responsibilities are accurate to about twice it.
LOG_DENSITY_ATOL = 1e-10

#: A term more than this below the largest of its point (after the error
#: bounds) has a responsibility below exp(-45) ~ 3e-20 and does not matter.
LOG_DENSITY_CUTOFF = 45.0


def log_gaussian_matrix(X, means, prec_chol, covariance_type, log_weights=None):
    """Matrix of :math:`\\log\\pi_k + \\log\\mathcal N(x_n\\mid\\mu_k,\\Sigma_k)`, shape (N, K).

    ``prec_chol`` comes from :func:`precision_cholesky`; ``log_weights``
    (:math:`\\log\\pi_k`, shape (K,)) is added when given.  ``full`` forms
    the differences :math:`x_n - \\mu_k` (one product per component).  The
    other types expand the quadratic forms (one matrix product for all
    components) about the mean :math:`c` of the means (a translation changes
    no density) and **certify the result per row**: with
    :math:`\\tilde x_n = x_n - c`, :math:`\\tilde\\mu_k = \\mu_k - c` and
    :math:`\\beta_D` of ``expansion_error_coefficient``, the rounding
    error of the expanded Mahalanobis term is at most

    * spherical: :math:`\\beta_D\\,\\sigma_k^{-2}(\\lVert\\tilde x_n\\rVert^2 + \\lVert\\tilde\\mu_k\\rVert^2)`;
    * diag: :math:`\\beta_D \\sum_d \\sigma_{kd}^{-2}(\\tilde x_{nd}^2 + \\tilde\\mu_{kd}^2)`;
    * tied (:math:`\\Sigma^{-1} = PP^\\top`, :math:`y = P^\\top \\tilde x`):
      :math:`\\beta_D(\\lVert y_n\\rVert^2 + \\lVert m_k\\rVert^2) + 2\\sqrt{q_{nk}}\\,e_{nk} + e_{nk}^2`,
      where :math:`q_{nk}` bounds the Mahalanobis term and
      :math:`e_{nk} = D\\varepsilon_{\\mathrm{mach}}\\lVert P\\rVert_F
      (\\lVert\\tilde x_n\\rVert + \\lVert\\tilde\\mu_k\\rVert)`
      bounds the rounding of the whitening product.

    Half of it bounds the error of the log-density.  A row in which some
    term that matters (one within :data:`LOG_DENSITY_CUTOFF` of the row's
    largest, after the bounds) can be off by more than
    :data:`LOG_DENSITY_ATOL` is recomputed from :math:`x_n - \\mu_k`, as for
    ``full``.  A first test per row, with a bound valid for every component
    (the largest precision times
    :math:`\\lVert\\tilde x_n\\rVert^2 + \\max_k\\lVert\\tilde\\mu_k\\rVert^2`),
    costs a pass over :math:`N` numbers and settles every row on ordinary
    data; clusters far apart compared with their spreads, where the
    expanded terms lose every digit, are recomputed.  (Rounding bounds of
    the package; no book equation.)
    """
    n, d = X.shape
    k = means.shape[0]
    if covariance_type == "full":
        log_det = np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
        maha = np.empty((n, k))
        for j in range(k):
            # y = (x - mu_k)^T P_k ;  maha = ||y||^2 = (x - mu_k)^T Sigma_k^-1 (x - mu_k)   (eq-gmm-normal)
            y = (X - means[j]) @ prec_chol[j]
            maha[:, j] = np.einsum("nd,nd->n", y, y)
        return _log_terms(maha, log_det, d, log_weights)
    c = means.mean(axis=0)
    Xc, Mc = X - c, means - c
    x_sq = np.einsum("nd,nd->n", Xc, Xc)
    c_sq = np.einsum("kd,kd->k", Mc, Mc)
    beta = expansion_error_coefficient(d)
    if covariance_type == "tied":
        log_det = np.sum(np.log(np.diag(prec_chol)))
        Y, M = Xc @ prec_chol, Mc @ prec_chol  # whitened: maha = ||y_n - m_k||^2   (eq-gmm-normal)
        maha = _squared_distances_expanded(Y, M)
        p2 = float(np.einsum("ij,ij->", prec_chol, prec_chol))  # ||P||_F^2
        w = d * _EPS * np.sqrt(p2)

        def bound(rows):
            e = w * (np.sqrt(x_sq[rows])[:, None] + np.sqrt(c_sq)[None, :])
            y_sq = np.einsum("nd,nd->n", Y[rows], Y[rows])
            expanded = beta * (y_sq[:, None] + np.einsum("kd,kd->k", M, M)[None, :])
            return expanded + 2.0 * np.sqrt(maha[rows] + expanded) * e + e * e

        # ||y||^2 <= ||P||_F^2 ||x||^2 and sqrt(q) e <= 2 D eps ||P||_F^2 (||x||^2 + ||mu||^2)
        s_max = (beta + 4.0 * d * _EPS) * p2 * 1.1
    elif covariance_type == "diag":
        log_det = np.sum(np.log(prec_chol), axis=1)
        prec = prec_chol**2
        # sum_d (x_d - mu_kd)^2 / sigma_kd^2, expanded   (eq-gmm-normal)
        q = np.sum(Mc**2 * prec, axis=1)
        maha = q[None, :] - 2.0 * (Xc @ (Mc * prec).T) + (Xc**2) @ prec.T
        np.maximum(maha, 0.0, out=maha)

        def bound(rows):
            return beta * ((Xc[rows] ** 2) @ prec.T + q[None, :])

        s_max = beta * float(np.max(prec))
    else:  # spherical
        log_det = d * np.log(prec_chol)
        prec = prec_chol**2
        maha = _squared_distances_expanded(Xc, Mc, x_sq) * prec[None, :]

        def bound(rows):
            return beta * prec[None, :] * (x_sq[rows][:, None] + c_sq[None, :])

        s_max = beta * float(np.max(prec))
    out = _log_terms(maha, log_det, d, log_weights)
    # the certificate: a bound for every component first, s_max (||x_n||^2 + max_k ||mu_k||^2)
    rows = _uncertain_log_rows(out, x_sq, 0.5 * s_max, float(np.max(c_sq)), bound)
    if rows.size:
        out[rows] = log_gaussian_matrix(
            X[rows], means, _full_precision_cholesky(prec_chol, covariance_type, k, d), "full", log_weights
        )
    return out


def _log_terms(maha, log_det, d, log_weights):
    # log N(x | mu, Sigma) = -(D/2) log 2 pi - (1/2) log det Sigma - maha / 2   (eq-gmm-normal)
    out = -0.5 * (d * LOG_2PI + maha) + log_det
    if log_weights is not None:
        out += log_weights[None, :]  # + log pi_k   (eq-gmm-density)
    return out


def _squared_distances_expanded(X, centers, x_sq=None):
    """The expanded squared distances in row chunks, without a certificate (callers certify)."""
    n = X.shape[0]
    out = np.empty((n, centers.shape[0]))
    c_sq = np.einsum("kd,kd->k", centers, centers)
    if x_sq is None:
        x_sq = np.einsum("nd,nd->n", X, X)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        _distance_chunk(X[start:stop], centers, x_sq[start:stop], c_sq, out[start:stop])
    return out


def _uncertain_log_rows(a, x_sq, s, c_max, bound):
    """Rows of the log-terms ``a`` (N, K) with a term that matters and may err by more than LOG_DENSITY_ATOL.

    ``s (x_sq[n] + c_max)`` bounds the error of every term of row n (the
    first test: only rows above ``LOG_DENSITY_ATOL`` are looked at, and when
    the largest ``x_sq`` passes, none); ``bound(rows)`` gives, for those
    rows, the bound of each Mahalanobis term (the log-density errs by half
    of it).  Term k matters to row n unless
    ``a[n, k] + delta[n, k] <= max_j (a[n, j] - delta[n, j]) - LOG_DENSITY_CUTOFF``:
    its responsibility is then below exp(-LOG_DENSITY_CUTOFF), exact or computed.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        t = np.float64(LOG_DENSITY_ATOL) / s - c_max  # s (x_sq + c_max) <= ATOL  <=>  x_sq <= t
        if x_sq.size == 0 or float(np.max(x_sq)) <= t:
            return np.empty(0, dtype=np.intp)
        cand = np.flatnonzero(~(x_sq <= t))
        delta = 0.5 * bound(cand)
        ac = a[cand]
        floor = np.max(ac - delta, axis=1) - LOG_DENSITY_CUTOFF
        matters = ~(ac + delta <= floor[:, None])
        bad = np.any(matters & ~(delta <= LOG_DENSITY_ATOL), axis=1)
    return cand[bad]


def _full_precision_cholesky(prec_chol, covariance_type, k, d):
    """The precision Cholesky factors of any covariance type as (K, D, D) matrices (``full``'s layout)."""
    if covariance_type == "full":
        return prec_chol
    if covariance_type == "tied":
        return np.broadcast_to(prec_chol, (k, d, d))
    if covariance_type == "diag":
        return prec_chol[:, :, None] * np.eye(d)[None]
    return prec_chol[:, None, None] * np.eye(d)[None]
