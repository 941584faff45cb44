"""The benchmark cases: k-means (Lloyd) and EM, companion against scikit-learn."""

from __future__ import annotations

import statistics

import numpy as np

import companion as cp

from . import data
from .measure import alternate, peak_memory

#: (N, D, K) of the k-means cases, and those that carry the issue's targets.
KMEANS_SHAPES = [(100_000, 2, 8), (100_000, 16, 32), (1_000_000, 16, 32), (200_000, 64, 100)]
KMEANS_TARGET_SHAPES = {(1_000_000, 16, 32), (200_000, 64, 100)}
GMM_SHAPES = [(100_000, 2, 8), (100_000, 16, 32)]
GMM_TARGET_SHAPES = {(100_000, 16, 32)}
QUICK_KMEANS_SHAPES = [(5_000, 2, 4), (20_000, 8, 16)]
QUICK_GMM_SHAPES = [(4_000, 2, 3), (10_000, 8, 6)]
TINY_KMEANS_SHAPES = [(600, 2, 3), (997, 3, 5)]
TINY_GMM_SHAPES = [(500, 2, 3), (400, 3, 2)]

FIXED_ITER = 20
MAX_ITER = 300
EM_ITER = 20
KMEANS_RATIO_TARGET = 1.0
GMM_RATIO_TARGET = 0.2
CENTER_RTOL = 1e-10
EM_RTOL = 1e-8


def _median(xs):
    return float(statistics.median(xs))


def paired_ratios(ours, theirs):
    """companion / peer, repeat by repeat (the two ran back to back), with their spread."""
    ratios = [a / b for a, b in zip(ours, theirs)]
    q = np.percentile(ratios, [25, 50, 75])
    return {
        "ratio": float(q[1]),
        "ratio_min": float(min(ratios)),
        "ratio_max": float(max(ratios)),
        "ratio_iqr": [float(q[0]), float(q[2])],
        "ratios_per_repeat": ratios,
    }


def kmeans_peers():
    """The k-means a user would pick instead: name -> factory(init, max_iter) of a fitted-model maker.

    scikit-learn's Lloyd (the reference every result is checked against) and
    Elkan's algorithm (triangle-inequality bounds, elkan2003), and
    scikit-learn-intelex's oneDAL KMeans when it is installed.
    """
    from sklearn.cluster import KMeans

    peers = {
        "sklearn": lambda C0, it: KMeans(len(C0), init=C0, n_init=1, max_iter=it, tol=0.0, algorithm="lloyd"),
        "sklearn_elkan": lambda C0, it: KMeans(len(C0), init=C0, n_init=1, max_iter=it, tol=0.0, algorithm="elkan"),
    }
    try:
        from sklearnex.cluster import KMeans as IntelKMeans
    except ImportError:  # scikit-learn-intelex not installed: no such peer
        return peers
    peers["sklearnex"] = lambda C0, it: IntelKMeans(len(C0), init=C0, n_init=1, max_iter=it, tol=0.0, algorithm="lloyd")
    return peers


def _rel_diff(a, b):
    """max |a - b| relative to the size of b (or to 1, for values near zero)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def _record(algorithm, mode, n, d, k, repeats, times):
    """The fields every case reports: what was run, and the raw and median times."""
    return {
        "algorithm": algorithm,
        "case": f"{algorithm} {mode}",
        "mode": mode,
        "N": n,
        "D": d,
        "K": k,
        "repeats": repeats,
        "companion_s": _median(times["companion"]),
        "sklearn_s": _median(times["sklearn"]),
        "companion_times_s": times["companion"],
        "sklearn_times_s": times["sklearn"],
    }


def _repeats_for(n, d, k, repeats):
    """Fewer repeats for the big cases, so that the full run stays within minutes."""
    if repeats is not None:
        return repeats
    return 3 if n * d * k >= 10_000_000 else 5


def kmeans_case(n, d, k, mode, repeats=None, *, memory=True):
    """One k-means case; ``mode`` is ``"fixed"`` (20 iterations) or ``"converge"``.

    companion runs against every peer of :func:`kmeans_peers`, all from the
    same centres and alternating within each repeat; ``sklearn`` (Lloyd) is
    the reference of the ``agree`` check and of the top-level ratio.
    """
    X = data.blobs(n, d, k)
    C0 = data.initial_centers(X, k)
    max_iter = FIXED_ITER if mode == "fixed" else MAX_ITER

    def fit_companion():
        return cp.kmeans(X, k, init=C0, max_iter=max_iter)

    makers = kmeans_peers()
    fits = {"companion": fit_companion}
    fits.update({name: (lambda make=make: make(C0, max_iter).fit(X)) for name, make in makers.items()})
    fit_sklearn = fits["sklearn"]

    repeats = _repeats_for(n, d, k, repeats)
    times, res = alternate(fits, repeats)
    ours, theirs = res["companion"], res["sklearn"]
    # scikit-learn counts the pass that finds the labels unchanged as an
    # iteration; companion's n_iter counts the update steps before it
    sk_updates = theirs.n_iter_ - 1 if ours.converged else theirs.n_iter_
    same_labels = bool(np.array_equal(ours.labels, theirs.labels_))
    center_diff = _rel_diff(ours.centers, theirs.cluster_centers_)
    record = _record("kmeans", mode, n, d, k, repeats, times)
    record |= {
        "companion_n_iter": int(ours.n_iter),
        "companion_converged": bool(ours.converged),
        "sklearn_n_iter": int(theirs.n_iter_),
        "sklearn_update_steps": int(sk_updates),
        "same_labels": same_labels,
        "center_max_rel_diff": center_diff,
        "agree": bool(same_labels and center_diff <= CENTER_RTOL and sk_updates == ours.n_iter),
    }
    record["ratio"] = record["companion_s"] / record["sklearn_s"]
    record["ratio_paired"] = paired_ratios(times["companion"], times["sklearn"])
    record["peers"] = {}
    for name in makers:
        peer = res[name]
        peer_updates = peer.n_iter_ - 1 if ours.converged else peer.n_iter_
        record["peers"][name] = {
            "seconds": _median(times[name]),
            "times_s": times[name],
            "n_iter": int(peer.n_iter_),
            "same_labels": bool(np.array_equal(ours.labels, peer.labels_)),
            "center_max_rel_diff": _rel_diff(ours.centers, peer.cluster_centers_),
            "same_update_steps": bool(peer_updates == ours.n_iter),
            **paired_ratios(times["companion"], times[name]),
        }
    record["best_peer"] = min(record["peers"], key=lambda name: record["peers"][name]["seconds"])
    iters = max(ours.n_iter, 1)
    record["companion_per_iter_s"] = record["companion_s"] / iters
    record["sklearn_per_iter_s"] = record["sklearn_s"] / max(sk_updates, 1)
    record["per_iter_ratio"] = record["companion_per_iter_s"] / record["sklearn_per_iter_s"]
    if memory:
        record["companion_peak_bytes"] = peak_memory(fit_companion)
        record["sklearn_peak_bytes"] = peak_memory(fit_sklearn)
        record["memory_ratio"] = record["companion_peak_bytes"] / record["sklearn_peak_bytes"]
    if (n, d, k) in KMEANS_TARGET_SHAPES:
        record["target"] = f"whole fit <= {KMEANS_RATIO_TARGET}x, peak memory <= 1x, same result"
        record["target_met"] = bool(
            record["ratio"] <= KMEANS_RATIO_TARGET
            and record.get("memory_ratio", 0.0) <= 1.0
            and record["agree"]
        )
    return record


def _sklearn_precisions(params):
    """scikit-learn's ``precisions_init`` for a companion GMMParams."""
    c = params.covariances
    if params.covariance_type in ("full", "tied"):
        return np.linalg.inv(c)
    return 1.0 / c


def initial_gmm_params(X, k, covariance_type):
    """theta(0): one M-step from hard assignments to K random data points."""
    C0 = data.initial_centers(X, k)
    labels = cp.assign(X, C0)
    R = np.zeros((X.shape[0], k))
    R[np.arange(X.shape[0]), labels] = 1.0
    return cp.m_step(X, R, covariance_type, reg_covar=1e-6)


def gmm_case(n, d, k, covariance_type, repeats=None, *, memory=True):
    """One EM case: ``EM_ITER`` iterations with ``tol=0`` from the same theta(0)."""
    from sklearn.mixture import GaussianMixture

    X = data.anisotropic_blobs(n, d, k)
    p0 = initial_gmm_params(X, k, covariance_type)
    prec0 = _sklearn_precisions(p0)

    def fitter(max_iter):
        def fit_companion():
            return cp.gmm(
                X, k, covariance_type=covariance_type, init=p0, max_iter=max_iter, tol=0.0,
                reg_covar=1e-6,
            )

        def fit_sklearn():
            return GaussianMixture(
                n_components=k,
                covariance_type=covariance_type,
                tol=0.0,
                reg_covar=1e-6,
                max_iter=max_iter,
                n_init=1,
                init_params="random_from_data",  # overridden by the three *_init below
                weights_init=p0.weights,
                means_init=p0.means,
                precisions_init=prec0,
            ).fit(X)

        return {"companion": fit_companion, "sklearn": fit_sklearn}

    repeats = _repeats_for(n, d, k * (d if covariance_type == "full" else 1), repeats)
    times, res = alternate(fitter(EM_ITER), repeats)
    times1, _ = alternate(fitter(1), repeats)
    ours, theirs = res["companion"], res["sklearn"]
    diffs = {
        "weights": _rel_diff(ours.weights, theirs.weights_),
        "means": _rel_diff(ours.means, theirs.means_),
        "covariances": _rel_diff(ours.covariances, theirs.covariances_),
    }
    record = _record("gmm", covariance_type, n, d, k, repeats, times)
    record |= {
        "companion_1iter_s": _median(times1["companion"]),
        "sklearn_1iter_s": _median(times1["sklearn"]),
        "companion_n_iter": int(ours.n_iter),
        "sklearn_n_iter": int(theirs.n_iter_),
        "param_max_rel_diff": max(diffs.values()),
        "param_rel_diffs": diffs,
    }
    record["agree"] = bool(
        record["param_max_rel_diff"] <= EM_RTOL and ours.n_iter == theirs.n_iter_ == EM_ITER
    )
    record["ratio"] = record["companion_s"] / record["sklearn_s"]
    record["ratio_paired"] = paired_ratios(times["companion"], times["sklearn"])
    # one EM iteration: (fit with EM_ITER iterations - fit with 1) / (EM_ITER - 1),
    # so set-up work (validation, scikit-learn's initialisation) cancels out
    for lib in ("companion", "sklearn"):
        per = (record[f"{lib}_s"] - record[f"{lib}_1iter_s"]) / (EM_ITER - 1)
        record[f"{lib}_per_iter_s"] = per
    record["per_iter_ratio"] = record["companion_per_iter_s"] / record["sklearn_per_iter_s"]
    if memory:
        f = fitter(EM_ITER)
        record["companion_peak_bytes"] = peak_memory(f["companion"])
        record["sklearn_peak_bytes"] = peak_memory(f["sklearn"])
        record["memory_ratio"] = record["companion_peak_bytes"] / record["sklearn_peak_bytes"]
    if (n, d, k) in GMM_TARGET_SHAPES:
        record["target"] = f"one EM iteration <= {GMM_RATIO_TARGET}x, same parameters to {EM_RTOL:g}"
        record["target_met"] = bool(record["per_iter_ratio"] <= GMM_RATIO_TARGET and record["agree"])
    return record
