"""Tests of companion.notebook: glue with and without myst-nb, and the %%requires cell magic."""

from __future__ import annotations

import sys
import types

import pytest

from companion import notebook


@pytest.fixture
def glued(monkeypatch):
    """A stand-in myst_nb whose glue records its calls; yields the record."""
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    return calls


def test_glue_uses_myst_nb_when_it_is_installed(glued):
    calls = glued
    notebook.glue("answer", 42)
    notebook.glue("shown", 1.5, display=True)
    assert calls == [("answer", 42, False), ("shown", 1.5, True)]


def test_glue_without_myst_nb_prints_a_number(monkeypatch, capsys):
    # None in sys.modules makes `from myst_nb import glue` raise ImportError
    monkeypatch.setitem(sys.modules, "myst_nb", None)
    notebook.glue("kmeans_run_J", 1503.3, display=False)
    assert capsys.readouterr().out == "kmeans_run_J = 1503.3\n"
    notebook.glue("label", "k-means++", display=True)
    assert capsys.readouterr().out == "label = k-means++\n"


def test_glue_without_myst_nb_displays_a_figure(monkeypatch, capsys):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import IPython.display
    import matplotlib.pyplot as plt

    monkeypatch.setitem(sys.modules, "myst_nb", None)
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig, _ = plt.subplots()
    notebook.glue("fig-demo", fig, display=False)
    plt.close(fig)
    assert shown == [fig]
    assert capsys.readouterr().out == ""


def test_glue_without_ipython_prints(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    notebook.glue("n", 3)
    assert capsys.readouterr().out == "n = 3\n"


def test_missing_modules():
    assert notebook.missing_modules("json", "os.path") == []
    assert notebook.missing_modules("json", "no_such_module_xyz", "no_such.sub") == [
        "no_such_module_xyz",
        "no_such.sub",
    ]


@pytest.fixture
def shell():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "companion.notebook")
    yield shell
    InteractiveShell.clear_instance()


def test_requires_runs_the_cell_when_the_modules_import(shell):
    result = shell.run_cell("%%requires json\nimport json\nvalue = json.dumps([1, 2])\n")
    assert result.success
    assert shell.user_ns["value"] == "[1, 2]"


def test_requires_skips_the_cell_and_says_what_to_install(shell, capsys):
    result = shell.run_cell("%%requires dask_ml no_such_module_xyz\nvalue_never_set = 1\n")
    assert result.success
    assert "value_never_set" not in shell.user_ns
    out = capsys.readouterr().out
    assert out.startswith("Skipped: this cell needs ")
    assert "pip install" in out and "no-such-module-xyz" in out


def test_requires_reports_an_error_of_the_cell(shell):
    result = shell.run_cell("%%requires json\nraise ValueError('boom')\n")
    assert not result.success
    assert isinstance(result.error_in_exec, ValueError)


def test_glue_number_rounds_to_significant_digits(glued):
    calls = glued
    notebook.glue_number("a", 3.14159)
    notebook.glue_number("b", 1234.56)  # as many digits before the point as kept: an int
    notebook.glue_number("c", 0.000123456, digits=2)
    notebook.glue_number("d", 0.0)
    assert calls == [("a", 3.14, False), ("b", 1235, False), ("c", 0.00012, False), ("d", 0.0, False)]
    assert isinstance(calls[1][1], int)


@pytest.mark.parametrize(
    "value, digits, text",
    [
        (3.87e-9, 2, r"$3.9 \times 10^{-9}$"),
        (-4.108e8, 3, r"$-4.11 \times 10^{8}$"),
        (1e-12, 2, "$10^{-12}$"),
        (-1e-3, 2, "$-10^{-3}$"),
        (9.96e-7, 2, "$10^{-6}$"),  # rounding carries into the exponent
        (0.0, 2, "$0$"),
    ],
)
def test_scientific(value, digits, text):
    assert notebook.scientific(value, digits) == text


def test_glue_scientific_without_myst_nb_shows_the_markdown(monkeypatch, capsys):
    import IPython.display

    monkeypatch.setitem(sys.modules, "myst_nb", None)
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    notebook.glue_scientific("err", 3.87e-9)
    assert len(shown) == 1 and shown[0].data == r"$3.9 \times 10^{-9}$"
    assert capsys.readouterr().out == ""
