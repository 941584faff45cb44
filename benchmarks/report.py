"""Machine description, the Markdown table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import time


def machine():
    """CPU model, cores, load, Python/numpy/BLAS/scikit-learn versions."""
    import numpy as np

    info = {"python": platform.python_version(), "numpy": np.__version__}
    try:
        with open("/proc/cpuinfo") as f:
            models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        info["cpu_model"] = models[0] if models else platform.processor()
        info["logical_cpus_in_cpuinfo"] = len(models)
    except OSError:
        info["cpu_model"] = platform.processor() or "unknown"
    info["cpu_count"] = os.cpu_count()
    if hasattr(os, "sched_getaffinity"):
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    try:
        info["load_average"] = list(os.getloadavg())
    except OSError:
        pass
    try:
        import sklearn

        info["sklearn"] = sklearn.__version__
    except ImportError:
        info["sklearn"] = None
    from companion.engines import blocks

    info["companion_threads"] = int(blocks.THREADS)
    try:
        import sklearnex

        from importlib.metadata import version

        # the distribution's version: sklearnex.__version__ read 2199.9.9 for 2026.2.0
        info["sklearnex"] = version("scikit-learn-intelex")
        import daal4py

        info["sklearnex_threads"] = int(daal4py.num_threads())
    except ImportError:
        info["sklearnex"] = None
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {key: p.get(key) for key in ("internal_api", "version", "num_threads", "architecture", "filepath")}
            for p in threadpool_info()
        ]
    except ImportError:
        cfg = np.show_config(mode="dicts")
        info["blas"] = cfg.get("Build Dependencies", {}).get("blas")
    return info


def _fmt_s(x):
    return f"{x * 1e3:.0f} ms" if x >= 0.1 else f"{x * 1e3:.1f} ms"


def _fmt_mib(b):
    return f"{b / 2**20:.1f}"


def _fmt_ratio(x):
    return f"{x:.2f}"


def markdown(records, info, *, elapsed=None, load_after=None):
    lines = ["# Benchmark results", ""]
    lines.append(
        "Written by `python -m benchmarks`; see `benchmarks/README.md` for the method. "
        "Times are medians over the repeats; ratio = companion / scikit-learn (below 1: "
        "companion is faster); each ratio is also given as the median of the paired per-repeat "
        "ratios (the two fits ran back to back) with their range. Peak memory: tracemalloc, one "
        "extra run of each library; it sees only memory allocated through Python (numpy buffers, "
        "Python objects), not the buffers that BLAS, OpenMP or oneDAL take with malloc."
    )
    lines += ["", "## Machine", ""]
    lines.append(f"- CPU: {info.get('cpu_model')}; `os.cpu_count()` = {info.get('cpu_count')}, usable: {info.get('usable_cpus')}")
    if "load_average" in info:
        la = ", ".join(f"{x:.2f}" for x in info["load_average"])
        lines.append(f"- load average (1, 5, 15 min) at the start: {la}" + (
            f"; at the end: {', '.join(f'{x:.2f}' for x in load_after)}" if load_after else ""))
    lines.append(f"- Python {info.get('python')}, numpy {info.get('numpy')}, scikit-learn {info.get('sklearn')}, "
                 f"scikit-learn-intelex {info.get('sklearnex') or 'not installed'}")
    lines.append(f"- threads: companion's blocked engines {info.get('companion_threads')}; scikit-learn "
                 "(OpenMP, OpenBLAS) as in the thread pools below; scikit-learn-intelex (oneDAL/TBB) "
                 f"{info.get('sklearnex_threads', 'n/a')}")
    for p in info.get("threadpools", []):
        lines.append(
            f"- thread pool: {p.get('internal_api')} {p.get('version') or ''} "
            f"({p.get('architecture') or ''}), {p.get('num_threads')} threads, `{os.path.basename(p.get('filepath') or '')}`"
        )
    if info.get("blas"):
        lines.append(f"- BLAS (numpy.show_config): {info['blas']}")
    if elapsed is not None:
        lines.append(f"- whole benchmark run: {elapsed:.0f} s")

    km = [r for r in records if r["algorithm"] == "kmeans"]
    if km:
        lines += ["", "## k-means (Lloyd)", ""]
        lines.append(
            "`fixed`: 20 iterations (companion `max_iter=20`, scikit-learn `max_iter=20, tol=0`); "
            "`converge`: until no label changes (`max_iter=300`). Per-iteration time = fit / number "
            "of update steps. Same result: identical labels, centres equal to 1e-10 relative, same "
            "number of update steps."
        )
        lines.append("")
        lines.append("| N | D | K | mode | iters | companion | scikit-learn | ratio | paired ratio (min-max) | per-iter ratio | peak MiB companion | peak MiB sklearn | memory ratio | same result | target |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in km:
            lines.append(
                f"| {r['N']} | {r['D']} | {r['K']} | {r['mode']} | {r['companion_n_iter']} | "
                f"{_fmt_s(r['companion_s'])} | {_fmt_s(r['sklearn_s'])} | **{_fmt_ratio(r['ratio'])}** | "
                f"{_fmt_paired(r.get('ratio_paired'))} | "
                f"{_fmt_ratio(r['per_iter_ratio'])} | {_fmt_mib(r.get('companion_peak_bytes', float('nan')))} | "
                f"{_fmt_mib(r.get('sklearn_peak_bytes', float('nan')))} | {_fmt_ratio(r.get('memory_ratio', float('nan')))} | "
                f"{'yes' if r['agree'] else 'NO'} (centres {r['center_max_rel_diff']:.1e}) | "
                f"{_target(r)} |"
            )
    peers = sorted({name for r in km for name in r.get("peers", {})})
    if peers:
        lines += ["", "### Every peer", ""]
        lines.append(
            "companion / peer, as the median of the paired per-repeat ratios (interquartile range; "
            "min-max). `sklearn` is `KMeans(algorithm=\"lloyd\")`, `sklearn_elkan` "
            "`KMeans(algorithm=\"elkan\")` (Elkan 2003), `sklearnex` scikit-learn-intelex's "
            "oneDAL `KMeans`; all from the same centres. `same` = identical labels and the same "
            "number of update steps."
        )
        lines.append("")
        lines.append("| N | D | K | mode | " + " | ".join(f"{p}: time, ratio, same" for p in peers) + " | best peer |")
        lines.append("|---|---|---|---|" + "---|" * len(peers) + "---|")
        for r in km:
            cells = []
            for p in peers:
                q = r.get("peers", {}).get(p)
                cells.append("" if q is None else (
                    f"{_fmt_s(q['seconds'])}, **{_fmt_ratio(q['ratio'])}** "
                    f"({_fmt_ratio(q['ratio_iqr'][0])}-{_fmt_ratio(q['ratio_iqr'][1])}; "
                    f"{_fmt_ratio(q['ratio_min'])}-{_fmt_ratio(q['ratio_max'])}), "
                    f"{'yes' if q['same_labels'] and q['same_update_steps'] else 'no'}"))
            lines.append(f"| {r['N']} | {r['D']} | {r['K']} | {r['mode']} | " + " | ".join(cells) + f" | {r.get('best_peer', '')} |")
    gm = [r for r in records if r["algorithm"] == "gmm"]
    if gm:
        lines += ["", "## Gaussian mixtures (EM)", ""]
        lines.append(
            "20 EM iterations with `tol=0` from the same parameters. One iteration = "
            "(fit with 20 iterations - fit with 1) / 19, so set-up work cancels. Same result: "
            "weights, means and covariances equal to 1e-8 (relative to their largest magnitude)."
        )
        lines.append("")
        lines.append("| N | D | K | covariance | companion 1 iter | sklearn 1 iter | per-iter ratio | companion fit | sklearn fit | fit ratio | peak MiB companion | peak MiB sklearn | same result | target |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in gm:
            lines.append(
                f"| {r['N']} | {r['D']} | {r['K']} | {r['mode']} | {_fmt_s(r['companion_per_iter_s'])} | "
                f"{_fmt_s(r['sklearn_per_iter_s'])} | **{_fmt_ratio(r['per_iter_ratio'])}** | "
                f"{_fmt_s(r['companion_s'])} | {_fmt_s(r['sklearn_s'])} | {_fmt_ratio(r['ratio'])} | "
                f"{_fmt_mib(r.get('companion_peak_bytes', float('nan')))} | {_fmt_mib(r.get('sklearn_peak_bytes', float('nan')))} | "
                f"{'yes' if r['agree'] else 'NO'} ({r['param_max_rel_diff']:.1e}) | {_target(r)} |"
            )
    targets = [r for r in records if "target" in r]
    if targets:
        met = sum(r["target_met"] for r in targets)
        lines += ["", f"**Targets met: {met} of {len(targets)}.**"]
        if met < len(targets):
            lines.append(
                "For each missed target, what was tried and why it is missed: "
                "`benchmarks/README.md`, section *Missed targets*."
            )
    return "\n".join(lines) + "\n"


def _fmt_paired(p):
    if not p:
        return ""
    return f"{_fmt_ratio(p['ratio'])} ({_fmt_ratio(p['ratio_min'])}-{_fmt_ratio(p['ratio_max'])})"


def _target(r):
    if "target" not in r:
        return ""
    return ("met" if r["target_met"] else "**missed**") + f": {r['target']}"


#: The copy of results.json shipped with the package (companion/data/), which the
#: book's Performance page reads, so that its notebook also runs when downloaded
#: alone.  A full run writes both files; tests/test_benchmarks.py checks they agree.
PACKAGE_RESULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                               "companion", "data", "benchmark_results.json")


def write(records, info, directory, *, elapsed=None, load_after=None, package_copy=None):
    """Write RESULTS.md and results.json to ``directory`` (and results.json to ``package_copy`` too)."""
    md = markdown(records, info, elapsed=elapsed, load_after=load_after)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "RESULTS.md"), "w") as f:
        f.write(md)
    payload = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": info,
        "elapsed_s": elapsed,
        "load_average_after": load_after,
        "cases": records,
    }
    for path in [os.path.join(directory, "results.json")] + ([package_copy] if package_copy else []):
        with open(path, "w") as f:
            json.dump(payload, f, indent=1)
            f.write("\n")
    return md
