"""Model selection for Gaussian mixtures: parameter counts, information criteria, the BIC/ICL table.

:func:`n_parameters` counts the free parameters of a mixture;
:func:`bic`, :func:`aic` and :func:`icl` penalise the maximised
log-likelihood with them (lower is better, as in scikit-learn; mclust
reports the negatives, higher is better).  :func:`select_gmm` fits every
number of components and covariance type, best of ``n_init`` restarts each,
and returns the whole table with the best fit, never a degenerate one unless
asked (see :func:`~companion.degenerate_components`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._validation import DegenerateWarning, check_choice, check_data, check_int, check_seed, warn
from .gaussians import COVARIANCE_TYPES, GMMParams, _check_X_like
from .mixture import GMMResult, e_step, gmm, log_likelihood

__all__ = ["n_parameters", "bic", "aic", "icl", "GMMSelection", "select_gmm"]

CRITERIA = ("bic", "icl", "aic")


def n_parameters(params):
    """Number of free parameters of a mixture: :math:`(K-1) + KD` + covariance terms.

    Covariance terms: full :math:`K D(D+1)/2`, tied :math:`D(D+1)/2`,
    diag :math:`KD`, spherical :math:`K`.

    Parameters
    ----------
    params : GMMParams or GMMResult
        The fitted mixture; only its shape and ``covariance_type`` matter.

    Returns
    -------
    int
        :math:`p`, the count that :func:`bic`, :func:`aic` and :func:`icl`
        penalise.

    Examples
    --------
    >>> import numpy as np
    >>> p = GMMParams([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), np.eye(2)], "full")
    >>> n_parameters(p)  # 1 weight + 2 x 2 means + 2 x 3 covariance entries
    11
    """
    params = _params_of(params)
    k, d = params.n_components, params.n_features
    cov = {
        "full": k * d * (d + 1) // 2,
        "tied": d * (d + 1) // 2,
        "diag": k * d,
        "spherical": k,
    }[params.covariance_type]
    return (k - 1) + k * d + cov


def _params_of(obj):
    if isinstance(obj, GMMResult):
        return obj.params
    if isinstance(obj, GMMParams):
        return obj
    raise TypeError(f"expected a GMMResult or GMMParams; got {type(obj).__name__}")


def bic(X, result):
    """Bayesian information criterion :math:`-2\\log p(X\\mid\\hat\\theta) + p\\log N` (lower is better).

    With a conjugate prior, :math:`\\hat\\theta` is the posterior mode and the
    log-likelihood is evaluated there (Fraley and Raftery 2007).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data the mixture is scored on.
    result : GMMResult or GMMParams

    Returns
    -------
    float

    References
    ----------
    G. Schwarz, "Estimating the dimension of a model", Ann. Statist. 6(2), 1978.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.2], [10.0], [10.4]])
    >>> p = GMMParams([0.5, 0.5], [[0.1], [10.2]], [0.01, 0.04], "spherical")
    >>> bool(np.isclose(bic(X, p), -2 * log_likelihood(X, p) + 5 * np.log(4)))
    True
    """
    params = _params_of(result)
    X = _check_X_like(X, params)
    return -2.0 * log_likelihood(X, params) + n_parameters(params) * np.log(X.shape[0])


def aic(X, result):
    """Akaike information criterion :math:`-2\\log p(X\\mid\\hat\\theta) + 2p` (lower is better).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data the mixture is scored on.
    result : GMMResult or GMMParams

    Returns
    -------
    float

    References
    ----------
    H. Akaike, "A new look at the statistical model identification",
    IEEE Trans. Automat. Control 19(6), 716-723, 1974.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.2], [10.0], [10.4]])
    >>> p = GMMParams([0.5, 0.5], [[0.1], [10.2]], [0.01, 0.04], "spherical")
    >>> n_parameters(p)
    5
    >>> bool(np.isclose(aic(X, p), -2 * log_likelihood(X, p) + 2 * 5))
    True
    """
    params = _params_of(result)
    X = _check_X_like(X, params)
    return -2.0 * log_likelihood(X, params) + 2.0 * n_parameters(params)


def icl(X, result):
    """Integrated completed likelihood: BIC plus twice the classification entropy of the MAP labels.

    .. math::

        \\mathrm{ICL} = \\mathrm{BIC} - 2\\sum_{n=1}^{N} \\log r_{n z_n},
        \\qquad z_n = \\operatorname*{arg\\,max}_k r_{nk}

    (lower is better).  The added term is zero when every point belongs to
    its component with certainty and grows with the overlap of the
    components, so ICL prefers well-separated clusters to a better density
    fit.  This is the BIC-like approximation of Biernacki, Celeux and Govaert
    (2000) in the form mclust computes it (``icl``: its BIC plus
    ``2 * sum(C * log(z))`` with ``C`` the MAP classification matrix, with
    mclust's sign, higher is better).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data the mixture is scored on.
    result : GMMResult or GMMParams

    Returns
    -------
    float

    References
    ----------
    C. Biernacki, G. Celeux and G. Govaert, "Assessing a mixture model for
    clustering with the integrated completed likelihood", IEEE Trans. Pattern
    Anal. Mach. Intell. 22(7), 719-725, 2000.

    Examples
    --------
    >>> import numpy as np
    >>> p = GMMParams([0.5, 0.5], [[0.0], [10.0]], [1.0, 1.0], "spherical")
    >>> X = np.array([[0.0], [10.0]])
    >>> bool(abs(icl(X, p) - bic(X, p)) < 1e-12)  # separated: the labels are certain
    True
    """
    params = _params_of(result)
    X = _check_X_like(X, params)
    R, ll = e_step(X, params)
    r_map = R[np.arange(X.shape[0]), np.argmax(R, axis=1)]  # r_{n z_n} >= 1/K > 0
    penalty = n_parameters(params) * np.log(X.shape[0])
    return -2.0 * ll + penalty - 2.0 * float(np.sum(np.log(r_map)))


@dataclass(frozen=True, eq=False)
class GMMSelection:
    """Result of :func:`select_gmm`: the table over (K, covariance type) and the chosen fit.

    Every table attribute has shape (len(n_components), len(covariance_types)).

    Attributes
    ----------
    n_components : ndarray of int
    covariance_types : tuple of str
    criterion : str
        The criterion the best fit minimises (``"bic"``, ``"icl"`` or ``"aic"``).
    log_likelihood, penalised_log_likelihood : ndarray
        At the fit kept for each cell (the best of its restarts).
    n_parameters : ndarray of int
    bic, icl, aic : ndarray
    degenerate : ndarray of bool
        Whether the fit kept for the cell is degenerate (every restart was,
        when ``skip_degenerate`` is true).
    best : GMMResult
        The fit with the lowest ``criterion`` among the cells that are not
        degenerate (among all cells with ``skip_degenerate=False``).
    best_index : tuple of int
        Its row and column in the table.
    seeds : ndarray of int
        The seed of every cell: ``gmm(X, K, covariance_type=t, n_init=n_init,
        seed=int(seeds[i, j]), ...)`` repeats the cell's fit (with
        ``skip_degenerate=False``, say, to see the spurious fit a cell skipped).
    fits : dict or None
        ``{(K, covariance_type): GMMResult}`` with ``keep_fits=True``.
    """

    n_components: np.ndarray
    covariance_types: tuple
    criterion: str
    log_likelihood: np.ndarray
    penalised_log_likelihood: np.ndarray
    n_parameters: np.ndarray
    bic: np.ndarray
    icl: np.ndarray
    aic: np.ndarray
    degenerate: np.ndarray
    best: GMMResult
    best_index: tuple
    seeds: np.ndarray
    fits: dict = None

    @property
    def best_n_components(self):
        """:math:`K` of the chosen fit."""
        return int(self.n_components[self.best_index[0]])

    @property
    def best_covariance_type(self):
        """Covariance type of the chosen fit."""
        return self.covariance_types[self.best_index[1]]

    def values(self, criterion=None):
        """The table of ``criterion`` (default: the one used to choose)."""
        return getattr(self, check_choice(criterion or self.criterion, CRITERIA, "criterion"))

    def rows(self):
        """One dict per cell, K-major: K, covariance type, log-likelihood, parameters, criteria, flag."""
        for i, k in enumerate(self.n_components):
            for j, ctype in enumerate(self.covariance_types):
                yield {
                    "n_components": int(k),
                    "covariance_type": ctype,
                    "log_likelihood": float(self.log_likelihood[i, j]),
                    "n_parameters": int(self.n_parameters[i, j]),
                    "bic": float(self.bic[i, j]),
                    "icl": float(self.icl[i, j]),
                    "aic": float(self.aic[i, j]),
                    "degenerate": bool(self.degenerate[i, j]),
                }

    def format(self, criterion=None):
        """The table of one criterion as text: K down, covariance types across; ``*`` marks degenerate fits."""
        values = self.values(criterion)
        name = (criterion or self.criterion).upper()
        width = max(11, *(len(c) + 2 for c in self.covariance_types))
        lines = [f"{name:>4}" + "".join(f"{c:>{width}}" for c in self.covariance_types)]
        for i, k in enumerate(self.n_components):
            cells = []
            for j in range(len(self.covariance_types)):
                mark = "*" if self.degenerate[i, j] else " "
                best = "<" if (i, j) == self.best_index and name.lower() == self.criterion else " "
                cells.append(f"{values[i, j]:>{width - 2}.1f}{mark}{best}")
            lines.append(f"{int(k):>4}" + "".join(cells))
        return "\n".join(lines)


def select_gmm(
    X,
    n_components=range(1, 10),
    covariance_types=COVARIANCE_TYPES,
    *,
    criterion="bic",
    n_init=1,
    prior=None,
    skip_degenerate=True,
    keep_fits=False,
    seed=None,
    **gmm_options,
):
    """Fit a mixture for every K and covariance type and choose one by an information criterion.

    Every cell of the table is :func:`~companion.gmm` with ``n_init``
    restarts (the best non-degenerate one by likelihood, see
    :func:`~companion.degenerate_components`); the chosen fit
    minimises ``criterion`` over the cells whose fit is not degenerate.  This
    is what mclust's ``mclustBIC`` does (it reports no BIC for a model whose
    fit became singular, so such models are never chosen) with the four
    covariance types of this package; with ``prior="default"`` it is Fraley
    and Raftery's (2007) MAP variant, the BIC then being evaluated at the
    posterior mode.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    n_components : iterable of int, default range(1, 10)
    covariance_types : iterable of str, default ("full", "tied", "diag", "spherical")
    criterion : {"bic", "icl", "aic"}, default "bic"
        Lower is better.
    n_init : int, default 1
        Restarts per cell.
    prior : None, "default" or ConjugatePrior
        As in :func:`~companion.gmm`; ``"default"`` builds mclust's default
        prior for each K.
    skip_degenerate : bool, default True
        Skip degenerate restarts and cells.  With ``False`` every fit counts,
        as with a plain loop over :func:`~companion.gmm` and :func:`bic`.
    keep_fits : bool, default False
        Keep every cell's :class:`GMMResult` in ``fits`` (memory: one
        responsibility matrix per cell).
    seed : None, int or numpy.random.Generator
        Every cell gets its own integer seed, drawn from ``seed`` in K-major
        order (kept in ``seeds``), so a cell's fit can be repeated alone.
    **gmm_options
        Passed to :func:`~companion.gmm` (``max_iter``, ``tol``,
        ``reg_covar``, ``init``, ``engine``).

    Returns
    -------
    GMMSelection

    Warns
    -----
    DegenerateWarning
        When every cell is degenerate (the best of them is returned).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2))])
    >>> sel = select_gmm(X, range(1, 4), ("full", "spherical"), max_iter=500, seed=0)
    >>> sel.best_n_components, sel.best_covariance_type, sel.bic.shape
    (2, 'spherical', (3, 2))
    """
    X = check_data(X)
    ks = np.array([check_int(k, "n_components", minimum=1) for k in n_components], dtype=int)
    if ks.size == 0:
        raise ValueError("n_components must list at least one number of components")
    types = tuple(check_choice(c, COVARIANCE_TYPES, "covariance_types") for c in covariance_types)
    if not types:
        raise ValueError("covariance_types must list at least one covariance type")
    criterion = check_choice(criterion, CRITERIA, "criterion")
    # one seed per cell, K-major, drawn from ``seed``: a cell's fit can be repeated alone
    seeds = check_seed(seed).integers(2**63, size=ks.size * len(types))
    shape = (ks.size, len(types))
    table = {name: np.full(shape, np.nan) for name in
             ("log_likelihood", "penalised_log_likelihood", "bic", "icl", "aic")}
    n_params = np.zeros(shape, dtype=int)
    degenerate = np.zeros(shape, dtype=bool)
    fits, results = {}, {}
    for i, k in enumerate(ks):
        for j, ctype in enumerate(types):
            with warnings.catch_warnings():  # a degenerate cell is reported in the table
                warnings.simplefilter("ignore", DegenerateWarning)
                r = gmm(X, int(k), covariance_type=ctype, n_init=n_init, prior=prior,
                        skip_degenerate=skip_degenerate, seed=int(seeds[i * len(types) + j]),
                        **gmm_options)
            table["log_likelihood"][i, j] = r.log_likelihood
            table["penalised_log_likelihood"][i, j] = r.penalised_log_likelihood
            n_params[i, j] = n_parameters(r)
            table["bic"][i, j] = bic(X, r)
            table["icl"][i, j] = icl(X, r)
            table["aic"][i, j] = aic(X, r)
            degenerate[i, j] = r.is_degenerate
            results[i, j] = r
            if keep_fits:
                fits[int(k), ctype] = r
    values = np.where(degenerate, np.inf, table[criterion]) if skip_degenerate else table[criterion]
    if skip_degenerate and degenerate.all():
        warn("every fitted mixture is degenerate; the best of them is returned. Use "
             "prior='default', fewer components or other covariance types", DegenerateWarning)
        values = table[criterion]
    best_index = tuple(int(a) for a in np.unravel_index(np.argmin(values), shape))  # first on ties
    return GMMSelection(
        n_components=ks,
        covariance_types=types,
        criterion=criterion,
        n_parameters=n_params,
        degenerate=degenerate,
        best=results[best_index],
        best_index=best_index,
        seeds=seeds.reshape(shape),
        fits=fits if keep_fits else None,
        **table,
    )
