"""``python -m benchmarks [--quick] [--repeats N] [--only kmeans|gmm] [--output DIR]``."""

from __future__ import annotations

import argparse
import os
import sys
import time

from . import cases, report

HERE = os.path.dirname(os.path.abspath(__file__))


def plan(quick=False, only=None):
    """The list of (function, args) to run."""
    km_shapes = cases.QUICK_KMEANS_SHAPES if quick else cases.KMEANS_SHAPES
    gm_shapes = cases.QUICK_GMM_SHAPES if quick else cases.GMM_SHAPES
    todo = []
    if only in (None, "kmeans"):
        for shape in km_shapes:
            for mode in ("fixed", "converge"):
                todo.append((cases.kmeans_case, (*shape, mode)))
    if only in (None, "gmm"):
        for shape in gm_shapes:
            for ctype in ("full", "tied", "diag", "spherical"):
                todo.append((cases.gmm_case, (*shape, ctype)))
    return todo


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per library and case")
    parser.add_argument("--only", choices=("kmeans", "gmm"), default=None)
    parser.add_argument(
        "--output",
        default=None,
        help="directory for RESULTS.md and results.json (default: benchmarks/ for a full run; "
        "--quick and --only runs write nothing unless this is given)",
    )
    args = parser.parse_args(argv)
    output = args.output
    if output is None and not args.quick and args.only is None:
        output = HERE
    info = report.machine()
    start = time.perf_counter()
    records = []
    for func, fargs in plan(args.quick, args.only):
        rec = func(*fargs, repeats=args.repeats)
        records.append(rec)
        print(
            f"{rec['case']:<18} N={rec['N']:>8} D={rec['D']:>3} K={rec['K']:>3}  "
            f"companion {rec['companion_s']:.3f}s  sklearn {rec['sklearn_s']:.3f}s  "
            f"ratio {rec['ratio']:.2f}  per-iter {rec['per_iter_ratio']:.2f}  "
            f"agree={rec['agree']}"
            + "".join(f"  {name} {q['ratio']:.2f}" for name, q in rec.get("peers", {}).items() if name != "sklearn"),
            file=sys.stderr,
            flush=True,
        )
    elapsed = time.perf_counter() - start
    try:
        load_after = list(os.getloadavg())
    except OSError:
        load_after = None
    md = report.markdown(records, info, elapsed=elapsed, load_after=load_after)
    if output:
        # a full run into benchmarks/ also updates the copy shipped with the package
        package_copy = report.PACKAGE_RESULTS if os.path.abspath(output) == os.path.abspath(HERE) else None
        report.write(records, info, output, elapsed=elapsed, load_after=load_after, package_copy=package_copy)
    print(md)
    return 0 if all(r["agree"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
