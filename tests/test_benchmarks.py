"""A tiny run of ``python -m benchmarks`` so that it cannot rot.

It checks that both libraries reach the same result from the same initial
parameters and that the report is written; it never checks timings.
"""

import json
import os
import sys

import pytest

pytest.importorskip("sklearn")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import cases, report  # noqa: E402


@pytest.mark.parametrize("shape", cases.TINY_KMEANS_SHAPES)
@pytest.mark.parametrize("mode", ["fixed", "converge"])
def test_kmeans_case_agrees_with_sklearn(shape, mode):
    rec = cases.kmeans_case(*shape, mode, repeats=1, memory=mode == "fixed")
    assert rec["agree"], rec
    assert rec["same_labels"] and rec["center_max_rel_diff"] <= cases.CENTER_RTOL
    if mode == "fixed":
        assert rec["companion_peak_bytes"] > 0 and rec["sklearn_peak_bytes"] > 0


@pytest.mark.parametrize("shape", cases.TINY_GMM_SHAPES)
@pytest.mark.parametrize("ctype", ["full", "tied", "diag", "spherical"])
def test_gmm_case_agrees_with_sklearn(shape, ctype):
    rec = cases.gmm_case(*shape, ctype, repeats=1, memory=False)
    assert rec["agree"], rec
    assert rec["param_max_rel_diff"] <= cases.EM_RTOL


def test_report_is_written(tmp_path):
    recs = [
        cases.kmeans_case(*cases.TINY_KMEANS_SHAPES[0], "fixed", repeats=1),
        cases.gmm_case(*cases.TINY_GMM_SHAPES[0], "spherical", repeats=1),
    ]
    info = report.machine()
    md = report.write(recs, info, str(tmp_path), elapsed=1.0)
    assert "| N | D | K |" in md and "## Machine" in md
    payload = json.loads((tmp_path / "results.json").read_text())
    assert len(payload["cases"]) == 2 and payload["machine"]["numpy"]
    assert (tmp_path / "RESULTS.md").read_text() == md


def test_package_ships_the_committed_results():
    """The Performance page reads companion/data/benchmark_results.json; it must equal benchmarks/results.json."""
    from importlib.resources import files

    shipped = json.loads(files("companion").joinpath("data/benchmark_results.json").read_text())
    with open(os.path.join(ROOT, "benchmarks", "results.json")) as f:
        committed = json.load(f)
    assert shipped == committed, "run a full `python -m benchmarks` (it writes both) or copy results.json"
    assert os.path.abspath(report.PACKAGE_RESULTS) == os.path.join(ROOT, "companion", "data", "benchmark_results.json")


def test_write_updates_the_package_copy_when_asked(tmp_path):
    info = report.machine()
    recs = [cases.kmeans_case(*cases.TINY_KMEANS_SHAPES[0], "fixed", repeats=1)]
    copy = tmp_path / "copy.json"
    report.write(recs, info, str(tmp_path), elapsed=1.0, package_copy=str(copy))
    assert json.loads(copy.read_text()) == json.loads((tmp_path / "results.json").read_text())
