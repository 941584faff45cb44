"""companion: k-means, Gaussian mixtures and the bridge between them.

The package behind the book *k-means is a special case of Gaussian
mixtures*.  Everything is a function on numpy arrays; fits return frozen
result objects with a ``history`` whose arrays have the iteration on axis 0
(entry 0 is the initialisation).

The book's symbols and their names here:

===========================  ======================  ========================
book                         name                    shape
===========================  ======================  ========================
:math:`x_n`, :math:`X`       ``X``                   (N, D)
:math:`K`                    ``n_clusters``,         int
                             ``n_components``
:math:`\\mu_k`                ``centers``, ``means``  (K, D)
:math:`z_n`                  ``labels``              (N,)
:math:`J`                    ``objective``           float
:math:`\\pi_k`                ``weights``             (K,)
:math:`\\Sigma_k`             ``covariances``         see :mod:`.mixture`
:math:`r_{nk}`               ``responsibilities``    (N, K)
:math:`\\log p(X\\mid\\theta)`  ``log_likelihood``      float
:math:`\\sigma`               ``sigma``               float
:math:`\\epsilon`             ``reg_covar``           float
===========================  ======================  ========================

Modules, top-down (each imports only from the layers below it; an import
contract checked in CI keeps it so):

* chapters: :mod:`.bridge` (the isotropic, equal-weight model and soft
  k-means), :mod:`.annealing` (soft k-means along a decreasing sigma),
  :mod:`.dpmeans` (DP-means, no fixed K), :mod:`.distributed` (EM and Lloyd
  as map-reduce over sufficient statistics; Dask drivers, Dask imported only
  when they are called), :mod:`.selection` (BIC, AIC, ICL and
  :func:`select_gmm`) and :mod:`.plotting` (figures; needs matplotlib);
* :mod:`.datasets` (generators and the real data sets, shipped with the
  package), beside the chapter modules that use the algorithms;
* algorithms: :mod:`.mixture` (the only EM loop, :func:`~.mixture.em`) and
  :mod:`.kmeans` (the only Lloyd loop, :func:`~.kmeans.lloyd`), each with
  its plain engine, the book's step functions;
* :mod:`.engines`: the blocked engines (row blocks on threads), selected
  with ``engine="auto" | "plain" | "blocked"``;
* :mod:`.gaussians` (mixture parameters and densities), :mod:`._moments`
  (sufficient statistics, the one M-step), :mod:`.priors` (the conjugate
  prior of MAP-EM), :mod:`.metrics` (the adjusted Rand index),
  :mod:`.numerics` (distances, log-sum-exp, Gaussian log-densities),
  :mod:`._record` (the history recorder);
* :mod:`._validation` and :mod:`._scaling`.
"""

from ._validation import ConvergenceWarning, DegenerateWarning
from .annealing import AnnealingHistory, AnnealingResult, anneal, critical_sigma, geometric_schedule
from .bridge import (
    SoftKMeansHistory,
    SoftKMeansResult,
    classification_log_likelihood,
    isotropic_log_likelihood,
    soft_kmeans,
    soft_responsibilities,
)
from .distributed import (
    GMMStatistics,
    KMeansStatistics,
    centers_from_statistics,
    gmm_dask,
    gmm_statistics,
    kmeans_dask,
    kmeans_statistics,
    params_from_statistics,
)
from .dpmeans import DPMeansHistory, DPMeansResult, dp_means, dp_means_objective
from .datasets import Dataset, circle_centers, load_faithful, load_iris, make_anisotropic_blobs, make_blobs
from .kmeans import (
    KMeansHistory,
    KMeansResult,
    assign,
    kmeans,
    kmeans_objective,
    kmeans_plusplus,
    update_centers,
)
from .gaussians import COVARIANCE_TYPES, GMMParams
from .metrics import adjusted_rand_index, contingency_table
from .mixture import (
    GMMHistory,
    GMMResult,
    degenerate_components,
    e_step,
    expected_complete_log_likelihood,
    gmm,
    log_likelihood,
    m_step,
)
from .priors import ConjugatePrior, default_prior, log_prior
from .selection import GMMSelection, aic, bic, icl, n_parameters, select_gmm
from .numerics import log_gaussian_density, logsumexp, squared_distances

from . import plotting  # matplotlib itself is imported only when a helper is called

__version__ = "0.1.0"

__all__ = [
    "AnnealingHistory",
    "AnnealingResult",
    "COVARIANCE_TYPES",
    "ConjugatePrior",
    "ConvergenceWarning",
    "DPMeansHistory",
    "DPMeansResult",
    "Dataset",
    "DegenerateWarning",
    "GMMHistory",
    "GMMParams",
    "GMMResult",
    "GMMSelection",
    "GMMStatistics",
    "KMeansHistory",
    "KMeansResult",
    "KMeansStatistics",
    "SoftKMeansHistory",
    "SoftKMeansResult",
    "adjusted_rand_index",
    "aic",
    "anneal",
    "assign",
    "bic",
    "centers_from_statistics",
    "circle_centers",
    "classification_log_likelihood",
    "contingency_table",
    "critical_sigma",
    "default_prior",
    "degenerate_components",
    "dp_means",
    "dp_means_objective",
    "e_step",
    "expected_complete_log_likelihood",
    "geometric_schedule",
    "gmm",
    "gmm_dask",
    "gmm_statistics",
    "icl",
    "isotropic_log_likelihood",
    "kmeans",
    "kmeans_dask",
    "kmeans_objective",
    "kmeans_plusplus",
    "kmeans_statistics",
    "load_faithful",
    "load_iris",
    "log_gaussian_density",
    "log_likelihood",
    "log_prior",
    "logsumexp",
    "m_step",
    "make_anisotropic_blobs",
    "make_blobs",
    "n_parameters",
    "params_from_statistics",
    "select_gmm",
    "soft_kmeans",
    "soft_responsibilities",
    "squared_distances",
    "update_centers",
]
