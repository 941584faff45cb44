"""k-means: the objective, Lloyd's two steps, k-means++ seeding and the full fit.

The k-means objective (the book's ``{eq}`eq-kmeans-objective```) is the sum
of squared distances from each point to the centre of its cluster,

.. math::

    J(\\mu, z) = \\sum_{n=1}^{N} \\lVert x_n - \\mu_{z_n} \\rVert^2 .

Lloyd's algorithm alternates two steps, each of which can only lower ``J``:
the assignment step (:func:`assign`) puts each point with its nearest centre,
and the update step (:func:`update_centers`) moves each centre to the mean of
its points.  :func:`kmeans` is a short loop over the two, recording the
objective, the centres and the number of changed labels at every iteration.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ._moments import cluster_sums, relocate_empty
from ._record import Recorder
from ._validation import (
    ConvergenceWarning,
    DegenerateWarning,
    check_centers,
    check_choice,
    check_data,
    check_int,
    check_labels,
    check_n_clusters,
    check_seed,
    warn,
)
from . import _scaling
from .engines import BlockedLloyd, check_engine
from .numerics import _nearest, _nearest_of_rows, _squared_distances

__all__ = [
    "KMeansHistory",
    "KMeansResult",
    "assign",
    "update_centers",
    "kmeans_objective",
    "kmeans_plusplus",
    "kmeans",
]

KMEANS_INITS = ("k-means++", "random")


@dataclass(frozen=True, eq=False)
class KMeansHistory:
    """Per-iteration record of a k-means fit; entry 0 is the initialisation.

    Attributes
    ----------
    objective : ndarray, shape (n_iter + 1,)
        :math:`J` after each iteration (centres and the labels assigned to them).
    centers : ndarray, shape (n_iter + 1, n_clusters, n_features)
        Centres after each iteration.
    n_changed : ndarray, shape (n_iter + 1,)
        Number of labels that changed in each iteration (entry 0: all of them).
    """

    objective: np.ndarray
    centers: np.ndarray
    n_changed: np.ndarray


@dataclass(frozen=True, eq=False)
class KMeansResult:
    """Result of :func:`kmeans`.

    Attributes
    ----------
    centers : ndarray, shape (n_clusters, n_features)
        Final centres :math:`\\mu_k`.
    labels : ndarray, shape (n_samples,)
        Index of the nearest final centre for every point, :math:`z_n`.
    objective : float
        :math:`J(\\mu, z)`, the sum of squared distances to the assigned centres.
    n_iter : int
        Number of Lloyd iterations performed (update step + assignment step).
    converged : bool
        True when an iteration left every label unchanged.
    history : KMeansHistory
        Objective, centres and changed-label counts per iteration (of the
        run that was kept, when ``n_init > 1``).
    objectives_per_init : ndarray, shape (n_init,)
        The final :math:`J` of every run, in the order they were made; the
        result is the run with the smallest (the first one on ties).
    """

    centers: np.ndarray
    labels: np.ndarray
    objective: float
    n_iter: int
    converged: bool
    history: KMeansHistory
    objectives_per_init: np.ndarray = None

    def __post_init__(self):
        if self.objectives_per_init is None:
            object.__setattr__(self, "objectives_per_init", np.array([self.objective]))

    @property
    def n_clusters(self):
        """Number of clusters :math:`K`."""
        return self.centers.shape[0]

    def predict(self, X):
        """Nearest-centre labels for new points ``X`` (shape (n_samples, n_features))."""
        return assign(X, self.centers)


def assign(X, centers):
    """Assignment step: the index of the nearest centre for every point.

    .. math::

        z_n = \\operatorname*{arg\\,min}_k \\lVert x_n - \\mu_k \\rVert^2

    Ties go to the lowest index.

    **Accuracy.** The distances are expanded,
    :math:`\\lVert\\mu_k\\rVert^2 - 2x_n^\\top\\mu_k` (plus the constant
    :math:`\\lVert x_n\\rVert^2`), one matrix product per block of rows, about
    the data mean when the data sit far from the origin.  Each row then
    carries a certificate: the expanded values err by at most
    :math:`B_n = \\beta_D(\\lVert x_n\\rVert^2 + \\max_k\\lVert\\mu_k\\rVert^2)`
    (``companion.numerics.expansion_error_coefficient``), so a row whose
    two smallest values differ by more than :math:`3B_n` has the exact
    nearest centre.  Every other row (ties, near-ties, and clusters that are
    far apart compared with their spreads, where the expanded form loses
    every digit of the small distances) is recomputed from the differences
    :math:`x_n - \\mu_k`.  The labels are therefore those of the plain formula
    ``np.argmin(((X[:, None] - centers[None]) ** 2).sum(-1), axis=1)`` for
    every row, at the cost of one expanded pass and a comparison.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Data points.
    centers : array_like, shape (n_clusters, n_features)
        Current centres.

    Returns
    -------
    labels : ndarray of int, shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> assign(np.array([[0.0], [0.9], [2.1]]), np.array([[0.0], [2.0]]))
    array([0, 0, 1])
    """
    X = check_data(X)
    centers = _check_centers_like(centers, X)
    e = _scaling.data_exponent(X, centers)  # extreme magnitudes: rescale exactly
    if e:
        X, centers = _scaling.scale(X, e), _scaling.scale(centers, e)
    # far from the origin: the expanded distances about the data mean (the labels are
    # those of X itself: rows the rounding bound leaves unproven use x_n - mu_k)
    return _nearest(X, centers, centre=_scaling.data_offset(X))


def _assign(X, centers, x_sq=None):
    # z_n = argmin_k ||x_n - mu_k||^2   (eq-kmeans-assign), with the expanded norm where
    # its rounding bound proves the nearest centre, with differences elsewhere
    return _nearest(X, centers, x_sq)


def update_centers(X, labels, n_clusters):
    """Update step: move every centre to the mean of the points assigned to it.

    .. math::

        \\mu_k = \\frac{1}{N_k} \\sum_{n : z_n = k} x_n,
        \\qquad N_k = \\#\\{n : z_n = k\\}

    **Empty clusters.** A cluster with no points has no mean.  Its centre is
    moved to the point farthest from the new centre of its own cluster (the
    point the current solution explains worst); several empty clusters take
    the farthest, second-farthest, ... points, in order of cluster index.
    This never increases :math:`J` (an empty cluster contributes nothing),
    never yields NaN, and is deterministic.  A :class:`DegenerateWarning`
    is emitted.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Data points.
    labels : array_like of int, shape (n_samples,)
        Cluster index of every point, in ``[0, n_clusters)``.
    n_clusters : int
        Number of clusters :math:`K`.

    Returns
    -------
    centers : ndarray, shape (n_clusters, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> update_centers(np.array([[0.0], [2.0], [10.0]]), np.array([0, 0, 1]), 2)
    array([[ 1.],
           [10.]])
    """
    X = check_data(X)
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    labels = check_labels(labels, X.shape[0], n_clusters)
    e = _scaling.data_exponent(X)  # extreme magnitudes: rescale exactly
    if e:
        return _scaling.unscale(_update_centers(_scaling.scale(X, e), labels, n_clusters), e)
    return _update_centers(X, labels, n_clusters)


def _update_centers(X, labels, n_clusters):
    counts, sums = cluster_sums(X, labels, n_clusters)
    # mu_k = sum_{n: z_n = k} x_n / N_k   (eq-kmeans-update)
    centers = sums / np.maximum(counts, 1)[:, None]
    empty = counts == 0
    if empty.any():
        centers = relocate_empty(X, labels, centers, np.flatnonzero(empty))
    return centers


def kmeans_objective(X, centers, labels):
    """The k-means objective :math:`J`, the sum of squared distances to assigned centres.

    .. math::

        J(\\mu, z) = \\sum_{n=1}^{N} \\lVert x_n - \\mu_{z_n} \\rVert^2

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    centers : array_like, shape (n_clusters, n_features)
    labels : array_like of int, shape (n_samples,)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> kmeans_objective(np.array([[0.0], [2.0]]), np.array([[1.0]]), np.array([0, 0]))
    2.0
    """
    X = check_data(X)
    centers = _check_centers_like(centers, X)
    labels = check_labels(labels, X.shape[0], centers.shape[0])
    e = _scaling.data_exponent(X, centers)  # extreme magnitudes: rescale exactly
    if e:
        J = _objective(_scaling.scale(X, e), _scaling.scale(centers, e), labels)
        return _scaling.unscale_float(J, 2 * e)
    return _objective(X, centers, labels)


def _objective(X, centers, labels):
    # J = sum_n ||x_n - mu_{z_n}||^2   (eq-kmeans-objective)
    diff = X - centers[labels]
    return float(np.einsum("nd,nd->", diff, diff))


def kmeans_plusplus(X, n_clusters, *, n_local_trials=None, seed=None):
    """k-means++ seeding (D\\ :sup:`2` sampling) of Arthur and Vassilvitskii, greedy by default.

    The first centre is a uniformly random data point.  Once
    :math:`\\mu_1, \\dots, \\mu_k` are chosen, the next one is a data point
    drawn with probability proportional to its squared distance to the
    nearest of them (the book's ``{eq}`eq-kmeans-dsquared```),

    .. math::

        P(\\mu_{k+1} = x_n) = \\frac{\\operatorname{dist}(x_n)^2}{\\sum_{n'} \\operatorname{dist}(x_{n'})^2},
        \\qquad \\operatorname{dist}(x) = \\min_{j \\le k} \\lVert x - \\mu_j \\rVert .

    (:math:`\\operatorname{dist}`, not :math:`D`, which is the number of
    features throughout the book.)

    **Plain seeding** (``n_local_trials=1``) is the variant with a proved
    guarantee: in expectation the seeding alone, before any Lloyd iteration,
    is within a factor :math:`8(\\ln K + 2)` of the optimal :math:`J`
    (``{eq}`eq-kmeans-plusplus-bound```), an :math:`O(\\log K)` approximation
    on every data set :cite:`arthur2007kmeanspp`.

    **Greedy seeding** (the default here and in scikit-learn) draws
    ``n_local_trials`` candidates, :math:`\\ell`, this way at every step and
    keeps the one that lowers the potential
    :math:`\\phi = \\sum_n \\operatorname{dist}(x_n)^2` the most.  Arthur
    and Vassilvitskii proposed it without analysing it, and the bound of the
    plain seeding does not carry over: on some data its expected ratio to the
    optimum is :math:`\\Omega(\\ell \\log K)` :cite:`bhattacharya2020greedy`,
    so with the default :math:`\\ell = 2 + \\lfloor \\ln K \\rfloor` no
    :math:`O(\\log K)` bound holds.  The best bound proved is
    :math:`O(\\ell^3 \\log^3 K)`, nearly tight (on some data the ratio is
    :math:`\\Omega(\\ell^3 \\log^3 K / \\log^2(\\ell \\log K))`)
    :cite:`grunau2023greedy`.  In practice it does better on well-separated
    blobs, where it puts two seeds in one blob (and none in another) much less
    often; that advantage is proved only for such data (well-separated
    clusters with exponentially decaying tails) :cite:`chen2025greedy`.

    If every remaining point coincides with a chosen centre (fewer distinct
    points than clusters), the next centre is drawn uniformly among the points
    not yet chosen.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    n_clusters : int
        Number of centres :math:`K`, between 1 and ``n_samples``.
    n_local_trials : int or None, default None
        Candidates drawn per centre; ``None`` means :math:`2 + \\lfloor \\ln K \\rfloor`
        (greedy k-means++), ``1`` plain D\\ :sup:`2` sampling.
    seed : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    centers : ndarray, shape (n_clusters, n_features)
        Rows of ``X``.

    References
    ----------
    D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful
    seeding", SODA 2007.

    A. Bhattacharya, J. Eube, H. Röglin and M. Schmidt, "Noisy, greedy and not
    so greedy k-means++", ESA 2020.

    C. Grunau, A. A. Özüdoğru, V. Rozhoň and J. Tětek, "A nearly tight
    analysis of greedy k-means++", SODA 2023.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0]])
    >>> kmeans_plusplus(X, 2, seed=0).shape
    (2, 2)
    >>> kmeans_plusplus(X, 2, n_local_trials=1, seed=0).shape  # plain D^2 sampling
    (2, 2)
    """
    X = check_data(X)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    n_local_trials = _check_local_trials(n_local_trials, n_clusters)
    rng = check_seed(seed)
    e = _scaling.data_exponent(X)  # extreme magnitudes: D^2 sampling on exactly rescaled data
    Xs = _scaling.scale(X, e) if e else X
    return X[_kmeans_plusplus_indices(Xs, n_clusters, rng, n_local_trials)].copy()


def _check_local_trials(n_local_trials, n_clusters):
    """``None`` -> scikit-learn's default 2 + floor(ln K); otherwise a positive int."""
    if n_local_trials is None:
        return 2 + int(np.log(n_clusters))
    return check_int(n_local_trials, "n_local_trials", minimum=1)


def _d2_draws(closest, total, u):
    """Indices drawn with probability closest_n / total, for uniform draws ``u`` in [0, total)."""
    idx = np.searchsorted(np.cumsum(closest), u, side="right")
    idx = np.minimum(idx, closest.size - 1)
    for i, j in enumerate(idx):
        while closest[j] == 0:  # guard against a zero-weight landing (rounding of the cumsum)
            j -= 1
        idx[i] = j
    return idx


def _kmeans_plusplus_indices(X, n_clusters, rng, n_local_trials=1):
    n = X.shape[0]
    chosen = np.empty(n_clusters, dtype=np.intp)
    chosen[0] = rng.integers(n)
    closest = _squared_distances(X, X[chosen[:1]])[:, 0]
    for k in range(1, n_clusters):
        total = closest.sum()  # the potential phi = sum_n dist(x_n)^2
        if total > 0 and n_local_trials == 1:
            # D^2 sampling: P(mu_{k+1} = x_n) proportional to dist(x_n)^2 = min_j ||x_n - mu_j||^2   (eq-kmeans-dsquared)
            idx = int(_d2_draws(closest, total, np.array([rng.random() * total]))[0])
            np.minimum(closest, _squared_distances(X, X[idx : idx + 1])[:, 0], out=closest)
        elif total > 0:
            # greedy: n_local_trials draws by (eq-kmeans-dsquared), keep the one that lowers phi the most
            candidates = _d2_draws(closest, total, rng.random(n_local_trials) * total)
            d2 = np.minimum(closest[:, None], _squared_distances(X, X[candidates]))
            best = int(np.argmin(d2.sum(axis=0)))  # ties: the first candidate drawn
            idx = int(candidates[best])
            closest = d2[:, best].copy()
        else:
            # fewer distinct points than clusters: centres will coincide
            warn(
                f"X has fewer distinct points than n_clusters={n_clusters}; the "
                f"remaining {n_clusters - k} centre(s) duplicate chosen ones",
                DegenerateWarning,
            )
            remaining = np.setdiff1d(np.arange(n), chosen[:k])
            idx = int(rng.choice(remaining))
            np.minimum(closest, _squared_distances(X, X[idx : idx + 1])[:, 0], out=closest)
        chosen[k] = idx
    return chosen


def _initial_centers(X, n_clusters, init, rng):
    """Initial centres from an ``init`` string or array (shared with the mixtures)."""
    if isinstance(init, str):
        init = check_choice(init, KMEANS_INITS, "init")
        if init == "k-means++":  # greedy k-means++, as kmeans_plusplus by default
            trials = _check_local_trials(None, n_clusters)
            return X[_kmeans_plusplus_indices(X, n_clusters, rng, trials)].copy()
        # "random": K distinct data points, uniformly without replacement
        return X[rng.choice(X.shape[0], size=n_clusters, replace=False)].copy()
    return check_centers(init, n_clusters, X.shape[1], "init")


def kmeans(X, n_clusters, *, init="k-means++", n_init=1, max_iter=300, engine="auto", seed=None):
    """k-means by Lloyd's algorithm.

    Starting from initial centres :math:`\\mu^{(0)}` with labels
    :math:`z^{(0)} = \\operatorname{assign}(\\mu^{(0)})`, iteration
    :math:`t = 1, 2, \\dots` performs

    .. math::

        \\mu^{(t)} = \\operatorname{update}(z^{(t-1)}),
        \\qquad z^{(t)} = \\operatorname{assign}(\\mu^{(t)}),

    and stops when :math:`z^{(t)} = z^{(t-1)}` (converged) or after
    ``max_iter`` iterations.  :math:`J` never increases along the way
    :cite:`lloyd1982,selim1984`.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Data points.
    n_clusters : int
        Number of clusters :math:`K`, between 1 and ``n_samples``.
    init : {"k-means++", "random"} or array_like, shape (n_clusters, n_features)
        ``"k-means++"``: :func:`kmeans_plusplus` (greedy); ``"random"``: ``K``
        distinct data points chosen uniformly; an array: the initial centres.
    n_init : int, default 1
        Number of runs from different initialisations; the run with the
        smallest :math:`J` is returned (every run's :math:`J` is kept in
        ``objectives_per_init``).  Must be 1 when ``init`` is an array.
    max_iter : int, default 300
        Maximum number of iterations; with ``max_iter=0`` the initial centres
        are returned with their labels.
    engine : {"auto", "plain", "blocked"}, default "auto"
        How the two steps are computed (``companion.engines``): ``"plain"``
        calls :func:`update_centers` and :func:`assign` as they are;
        ``"blocked"`` (what ``"auto"`` picks) computes them with Hamerly's
        bounds over row blocks on threads: the same labels at every
        iteration and centres equal to rounding, except where rounding
        decides an exact tie.  The loop is the same, and with either engine
        a converged result is a fixed point of the two steps,
        ``assign(X, update_centers(X, labels, K)) == labels``, with
        ``centers == update_centers(X, labels, K)`` (``lloyd`` confirms
        the blocked engine's fixed point with the plain steps).  Data far
        from the origin are fitted as ``X - mean`` (see Notes): there it
        holds in those coordinates.
    seed : None, int or numpy.random.Generator
        Source of randomness for the initialisation.  With ``n_init > 1``
        every run gets its own independent stream, spawned from ``seed``
        (``numpy.random.Generator.spawn``), so the result is reproducible
        and does not depend on the order of the runs.

    Returns
    -------
    KMeansResult

    Warns
    -----
    ConvergenceWarning
        If ``max_iter >= 1`` iterations did not reach a fixed point.
    DegenerateWarning
        If a cluster became empty (see :func:`update_centers`) or ``X`` has
        fewer distinct points than ``n_clusters``.

    Notes
    -----
    **Degenerate data.** With fewer distinct points than clusters some
    initial centres coincide; ties go to the lowest index, so the duplicates'
    clusters are empty and :func:`update_centers` keeps them on data points.
    With ``init="k-means++"`` every distinct point becomes a centre and
    :math:`J = 0`; the result never contains NaN.  **Extreme magnitudes.** Data whose largest absolute
    value is beyond about :math:`10^{\\pm 30}` are fitted as ``X / 2**e`` and
    the results scaled back; scaling by a power of two is exact, so the
    iterates are those of the unscaled fit but the squared distances cannot
    overflow or underflow.  **Far from the origin.** Data whose mean
    dominates their spread (timestamps, say) are fitted as ``X - mean`` and
    the centres shifted back, so no digits are lost; the shift rounds, so
    the fixed-point property above holds for ``X - mean``, and for ``X``
    itself only up to ties that this rounding decides.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> result = kmeans(X, 2, seed=0)
    >>> sorted(result.centers[:, 0].tolist()), result.objective, result.converged
    ([0.0, 10.0], 1.0, True)
    """
    X = check_data(X)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    n_init = check_n_init(n_init, init)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    make_engine = LLOYD_ENGINES[check_engine(engine)]
    rng = check_seed(seed)
    if not isinstance(init, str):
        init = check_centers(init, n_clusters, X.shape[1], "init")
    # extreme magnitudes: fit X / 2**e (exact); far from the origin: fit X - mean
    e = _scaling.data_exponent(X)
    X = _scaling.scale(X, e) if e else X
    c = _scaling.data_offset(X)
    X = X - c if c is not None else X
    if not isinstance(init, str):
        init = _scaling.to_fit_units(init, e, c)
    engine = make_engine(X, n_clusters)

    def run(rng):
        result = lloyd(engine, _initial_centers(X, n_clusters, init, rng), max_iter)
        # the engine is reused by the next run, and its labels may be its own buffer
        return dataclasses.replace(result, labels=result.labels.copy()) if n_init > 1 else result

    result, objectives, _ = best_of_runs(run, n_init, rng, lambda r: r.objective)
    result = dataclasses.replace(result, objectives_per_init=objectives)
    return _scaling.unscale_kmeans_result(result, e, c)


def check_n_init(n_init, init, what="an array of centres", remedy="'k-means++' or 'random'"):
    """``n_init`` as a positive int; 1 when ``init`` is explicit (every run would be the same)."""
    n_init = check_int(n_init, "n_init", minimum=1)
    if n_init > 1 and not isinstance(init, str):
        raise ValueError(
            f"n_init must be 1 when init is {what} (every run would start from the same "
            f"point); got n_init={n_init}. Use init={remedy} for restarts."
        )
    return n_init


def best_of_runs(run, n_init, rng, score, reject=None):
    """The run with the smallest ``score`` among ``n_init`` calls ``run(generator)``.

    With ``n_init == 1`` the single run uses ``rng`` itself (so ``seed=s``
    gives the same fit as before restarts existed); otherwise every run gets
    an independent child generator from ``rng.spawn(n_init)``.  A run for
    which ``reject(result)`` is true (a degenerate mixture, say) is kept only
    when every run is rejected.  Returns the best result (the first on ties),
    every run's score, shape (n_init,), and every run's rejection flag.
    Serves every fit whose runs differ only by their random start
    (:func:`kmeans`: lowest :math:`J`; :func:`~companion.gmm`: highest
    log-likelihood among non-degenerate fits).
    """
    streams = [rng] if n_init == 1 else rng.spawn(n_init)
    best, best_key, scores, rejected = None, None, [], []
    for stream in streams:
        result = run(stream)
        s, r = float(score(result)), bool(reject(result)) if reject is not None else False
        scores.append(s)
        rejected.append(r)
        key = (r, s)  # accepted runs first, then the lowest score
        if best is None or key < best_key:
            best, best_key = result, key
    return best, np.array(scores), np.array(rejected)


class PlainLloyd:
    """The plain Lloyd engine: the book's two steps, :func:`assign` and :func:`update_centers`.

    Every Lloyd engine offers the same four calls, which :func:`lloyd` makes:
    ``start(centers)`` assigns every point to the initial centres and returns
    :math:`J`; ``update()`` returns the centres of the current labels;
    ``assign(centers)`` assigns the points and returns the number of labels
    that changed and :math:`J`; ``labels()`` returns the current labels.
    The attribute ``confirm_fixed_point`` says whether :func:`lloyd` must
    check the engine's steps with the book's (see there); it is False here,
    where the steps *are* the book's.  An engine that sets it also offers
    ``X``, ``k``, ``unproven(centers)``, the rows whose label it cannot
    prove nearest under ``centers`` (see :func:`_confirm`), and, after each
    ``assign``, ``moved_at_near_ties`` (every label it moved was decided at
    a near tie) and ``previous_labels()`` (the labels before that
    ``assign``; see :func:`_hand_over`).
    """

    confirm_fixed_point = False

    def __init__(self, X, n_clusters):
        self.X, self.k, self.n_samples = X, n_clusters, X.shape[0]
        self.x_sq = np.einsum("nd,nd->n", X, X)

    @classmethod
    def resume(cls, X, n_clusters, labels):
        """The plain engine continuing from ``labels`` (no assignment pass)."""
        engine = cls(X, n_clusters)
        engine._labels = np.array(labels, dtype=np.intp)
        return engine

    def start(self, centers):
        self._labels = _assign(self.X, centers, self.x_sq)
        return _objective(self.X, centers, self._labels)

    def update(self):
        return _update_centers(self.X, self._labels, self.k)

    def assign(self, centers):
        labels = _assign(self.X, centers, self.x_sq)
        changed = int(np.count_nonzero(labels != self._labels))
        self._labels = labels
        return changed, _objective(self.X, centers, labels)

    def labels(self):
        return self._labels


#: The engines of :func:`kmeans` by name (see :mod:`companion.engines`).
LLOYD_ENGINES = {"plain": PlainLloyd, "blocked": BlockedLloyd, "auto": BlockedLloyd}


def lloyd(engine, centers, max_iter):
    """Lloyd's algorithm from ``centers``: the only Lloyd loop of the package.

    Every k-means fit runs this loop (:func:`kmeans` in memory,
    :func:`~companion.kmeans_dask` on blocks, the last stage of
    :func:`~companion.anneal`); only the ``engine`` that computes the two
    steps differs (see :class:`PlainLloyd`).  Returns a :class:`KMeansResult`.

    **A converged result is a fixed point of the book's two steps.**  An engine whose
    arithmetic differs from :func:`update_centers` and :func:`assign` (the
    blocked engine keeps the cluster sums incrementally, so its means may
    differ from the plain ones in the last bit) decides an exact tie, a point
    at equal distance from two centres, by rounding.  Its fixed point then
    need not be one of the book's steps.  So when such an engine (its
    ``confirm_fixed_point`` is True) reports that no label changed, the
    iteration is redone with the plain steps from the same labels
    (:func:`_confirm`): exact means, plain assignment.  If no label changes,
    the fit stops there, with the exact means as its centres; otherwise the
    iteration is recorded as the plain steps computed it, and the loop
    continues on the plain engine until it stops.  Where rounding decided no
    tie, the labels, the changed counts and the iteration count are those of
    the plain engine, and the final centres too, bit for bit.  Likewise,
    when such an engine reports an iteration in which every label it moved
    was a near tie of its certified assignment (two distances within the
    rounding bound of the expanded norm, so that the rounding of its means
    may have decided it), that iteration is redone with the plain steps
    from the labels it started with, and the loop continues on the plain
    engine (:func:`_hand_over`): between duplicate centres that rounding
    alone could otherwise move points back and forth for ever.  (The Dask
    engine does neither: its data are not in memory, and its means are
    computed afresh from the labels in every iteration.)
    """
    J = engine.start(centers)
    record = Recorder(objective=J, centers=centers, n_changed=engine.n_samples)
    converged, n_iter, changed = False, 0, engine.n_samples
    for n_iter in range(1, max_iter + 1):
        centers = engine.update()  # mu_k = mean of cluster k   (eq-kmeans-update)
        changed, J = engine.assign(centers)  # z_n = argmin_k ||x_n - mu_k||^2   (eq-kmeans-assign)
        if engine.confirm_fixed_point and changed == 0:
            # the engine's fixed point: redo the iteration with the book's steps
            centers, changed, J, engine = _confirm(engine, J)
        elif engine.confirm_fixed_point and engine.moved_at_near_ties:
            # only near ties moved: redo the iteration with the book's steps and keep them
            centers, changed, J, engine = _hand_over(engine)
        record.append(objective=J, centers=centers, n_changed=changed)
        if changed == 0:
            converged = True
            break
    if max_iter > 0 and not converged:
        warn(
            f"k-means did not converge in max_iter={max_iter} iterations "
            f"({changed} labels still changing); increase max_iter",
            ConvergenceWarning,
        )
    return KMeansResult(
        centers=centers,
        labels=engine.labels(),
        objective=J,
        n_iter=n_iter,
        converged=converged,
        history=record.build(KMeansHistory),
    )


def _confirm(engine, J):
    """The iteration at which ``engine`` found no label changing, redone with the book's steps.

    From the engine's labels :math:`z`: the exact means
    :math:`\\mu = \\operatorname{update}(z)` (:func:`update_centers`), then
    the plain assignment :math:`\\operatorname{assign}(\\mu)`.  The
    assignment is computed only for the rows the engine's bounds leave
    unproven under :math:`\\mu` (``engine.unproven``; a handful at a fixed
    point), on the same row chunks as :func:`assign`, so bit for bit as the
    full plain step; every other row provably keeps its label.  When no
    label changes, this costs one update step (a pass over :math:`X`) and
    the engine's :math:`J` is kept (the centres moved by rounding only).
    Returns ``(centers, n_changed, J, engine)``: the same engine when
    :math:`z` is a fixed point of the two steps, else the plain engine after
    its full assignment step, to continue the loop.
    """
    X, k, labels = engine.X, engine.k, engine.labels()
    centers = _update_centers(X, labels, k)  # exact means   (eq-kmeans-update)
    rows = engine.unproven(centers)
    # z_n = argmin_k ||x_n - mu_k||^2 for the unproven rows   (eq-kmeans-assign)
    if np.array_equal(_nearest_of_rows(X, centers, rows), labels[rows]):
        return centers, 0, J, engine
    plain = PlainLloyd.resume(X, k, labels)  # a tie went the other way: continue with the plain steps
    changed, J = plain.assign(centers)  # (eq-kmeans-assign)
    return centers, changed, J, plain


def _hand_over(engine):
    """The iteration in which every label ``engine`` moved was a near tie, redone with the book's steps.

    A near tie (two distances within the rounding bound of the expanded
    norm, decided by the difference formula; see
    :func:`companion.numerics._certified_argmin`) can be decided by the
    rounding of the engine's means, which are not the exact means of its
    labels.  Between duplicate centres (after an empty cluster was moved
    onto a point of another) that rounding alone can move points back and
    forth for ever.  So when an iteration moved near-tie points only, it is
    redone from the labels it started with: exact means
    (:func:`update_centers`), the plain assignment, and the loop continues
    on the plain engine, whose steps are those of the book.  Returns
    ``(centers, n_changed, J, plain_engine)``.
    """
    X, k = engine.X, engine.k
    labels = engine.previous_labels()
    centers = _update_centers(X, labels, k)  # exact means   (eq-kmeans-update)
    plain = PlainLloyd.resume(X, k, labels)
    changed, J = plain.assign(centers)  # (eq-kmeans-assign)
    return centers, changed, J, plain


def _check_centers_like(centers, X, name="centers"):
    centers = check_data(centers, name)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"{name} must have {X.shape[1]} features like X; got shape {centers.shape}"
        )
    return centers
