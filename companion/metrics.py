"""Comparing two partitions of the same points: the adjusted Rand index.

A clustering is only defined up to the names of its clusters, so two
labellings are compared through the pairs of points they put together.  The
Rand index counts the pairs on which the two partitions agree; Hubert and
Arabie's *adjusted* Rand index (ARI) subtracts its expected value when the
two partitions are drawn at random with their cluster sizes fixed (the
hypergeometric model) and divides by its largest possible excess:

.. math::

    \\mathrm{ARI} = \\frac{\\sum_{ij}\\binom{n_{ij}}{2}
        - \\Bigl[\\sum_i\\binom{a_i}{2}\\sum_j\\binom{b_j}{2}\\Bigr]\\Big/\\binom{N}{2}}
      {\\tfrac12\\Bigl[\\sum_i\\binom{a_i}{2} + \\sum_j\\binom{b_j}{2}\\Bigr]
        - \\Bigl[\\sum_i\\binom{a_i}{2}\\sum_j\\binom{b_j}{2}\\Bigr]\\Big/\\binom{N}{2}},

where :math:`n_{ij}` counts the points in cluster :math:`i` of the first
partition and cluster :math:`j` of the second, and :math:`a_i`, :math:`b_j`
are the row and column sums of that contingency table.  It equals 1 for
identical partitions (whatever the names), has expected value 0 for random
ones, and can be negative.

References
----------
L. Hubert and P. Arabie, "Comparing partitions", Journal of Classification
2, 193-218, 1985.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adjusted_rand_index", "contingency_table"]


def _check_labels_1d(labels, name):
    if labels is None or isinstance(labels, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of cluster labels; got {type(labels).__name__}")
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, shape (n_samples,); got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must label at least one sample; got an empty array")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite labels")
    if arr.dtype.kind not in "biufUSO":
        raise TypeError(f"{name} must hold integer or string labels; got dtype {arr.dtype}")
    return arr


def contingency_table(labels_a, labels_b):
    """The counts :math:`n_{ij}` of points labelled :math:`i` in ``labels_a`` and :math:`j` in ``labels_b``.

    Labels may be any integers or strings; rows and columns follow the sorted
    distinct labels of each argument.

    Parameters
    ----------
    labels_a, labels_b : array_like, shape (n_samples,)

    Returns
    -------
    ndarray of int64, shape (n_clusters_a, n_clusters_b)

    Examples
    --------
    >>> contingency_table([0, 0, 1, 1], ["x", "y", "y", "y"]).tolist()
    [[1, 1], [0, 2]]
    """
    a = _check_labels_1d(labels_a, "labels_a")
    b = _check_labels_1d(labels_b, "labels_b")
    if a.shape != b.shape:
        raise ValueError(
            f"labels_a and labels_b must label the same samples; got shapes {a.shape} and {b.shape}"
        )
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    ka, kb = int(ia.max()) + 1, int(ib.max()) + 1
    return np.bincount(ia * kb + ib, minlength=ka * kb).reshape(ka, kb).astype(np.int64)


def _pairs(counts):
    """sum_i C(c_i, 2), exactly (Python integers)."""
    return sum(int(c) * (int(c) - 1) // 2 for c in np.ravel(counts))


def adjusted_rand_index(labels_true, labels_pred):
    """Adjusted Rand index of two partitions (Hubert and Arabie 1985): 1 when they agree.

    Symmetric in its arguments and unchanged by renaming the clusters of
    either; 0 in expectation for a random partition with the same cluster
    sizes; negative when the agreement is below that expectation.  The pair
    counts are exact integers; only the final ratio is a float.  When both
    partitions put all points in one cluster, or both put every point in its
    own cluster, the formula is 0/0; the partitions are then identical and
    the index is 1.

    Parameters
    ----------
    labels_true, labels_pred : array_like, shape (n_samples,)
        Two labellings of the same points (integers or strings).

    Returns
    -------
    float

    References
    ----------
    L. Hubert and P. Arabie, "Comparing partitions", Journal of Classification
    2, 193-218, 1985.

    Examples
    --------
    >>> adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0])  # same partition, other names
    1.0
    >>> adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1])
    -0.5
    """
    n_ij = contingency_table(labels_true, labels_pred)
    n = int(n_ij.sum())
    index = _pairs(n_ij)  # pairs together in both
    a, b = _pairs(n_ij.sum(axis=1)), _pairs(n_ij.sum(axis=0))  # together in each
    total = n * (n - 1) // 2
    if total == 0:  # a single point: one partition only
        return 1.0
    # expected index = a b / C(N, 2), maximum = (a + b) / 2; all in exact rationals
    # ARI = (index - a b / T) / ((a + b) / 2 - a b / T) = (2 T index - 2 a b) / (T (a + b) - 2 a b)
    numerator = 2 * total * index - 2 * a * b
    denominator = total * (a + b) - 2 * a * b
    if denominator == 0:  # both one cluster, or both all singletons: identical partitions
        return 1.0
    return numerator / denominator
