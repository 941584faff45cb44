"""Helpers that let the book's notebooks run in any Jupyter, not only in the book's build.

The chapters keep numbers and figures for their prose with :func:`glue`.
Inside the book's build this is myst-nb's ``glue`` (the value is pasted into
the text where the page says ``{glue:text}`name```).  A reader who downloaded a
notebook usually has no myst-nb, and the Markdown cells then show the raw
``{glue:...}`` roles instead of the values, so without myst-nb the value is
displayed in the cell: a figure as the figure, anything else as one line
``name = value``.

Cells that need an optional package (Dask in the chapter *Scaling out*) start
with the cell magic ``%%requires``, registered by ``%load_ext
companion.notebook``: the cell runs when every named module can be imported
and is skipped, with one line saying what to install, when one cannot.
"""

from __future__ import annotations

import importlib.util

__all__ = ["glue", "requires", "missing_modules", "load_ipython_extension"]

#: What to ``pip install`` for a module that a chapter may need.
PIP_NAMES = {"dask": '"dask[array]"', "dask_ml": "dask-ml", "matplotlib": "matplotlib"}


def glue(name, value, display=False):
    """Keep ``value`` under ``name`` for the book's text, or show it when myst-nb is absent.

    With myst-nb installed (the book's build) this is
    ``myst_nb.glue(name, value, display=display)``.  Without it, the value is
    displayed whatever ``display`` says, since the notebook's text cannot
    paste it: a Matplotlib figure is shown as the figure, any other value as
    the line ``name = value``.

    Parameters
    ----------
    name : str
        The key the book's text uses (``{glue:text}`name```, ``{glue:figure}``).
    value : object
        A number, a string, a Matplotlib figure, or anything IPython can display.
    display : bool, default False
        Also show the value in the cell's output when myst-nb is installed.

    Returns
    -------
    None

    Examples
    --------
    Outside IPython and without myst-nb the value is printed:

    >>> glue("n_points", 750)  # doctest: +SKIP
    n_points = 750
    """
    try:
        from myst_nb import glue as myst_nb_glue
    except ImportError:
        _show(name, value)
    else:
        myst_nb_glue(name, value, display=display)


def _show(name, value):
    """Display ``value`` for a reader of the notebook (no myst-nb to paste it)."""
    try:
        from IPython.display import display as ipython_display
    except ImportError:  # a plain Python session: nothing rich to show
        print(f"{name} = {value}")
        return
    if hasattr(value, "savefig") or hasattr(value, "_repr_html_") or hasattr(value, "_repr_png_"):
        ipython_display(value)  # a figure or a rich object: show it as IPython would
    else:
        print(f"{name} = {value}")


def missing_modules(*modules):
    """The names in ``modules`` that cannot be imported here.

    Examples
    --------
    >>> missing_modules("json", "no_such_module_here")
    ['no_such_module_here']
    """
    missing = []
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent package is missing
            found = False
        if not found:
            missing.append(module)
    return missing


def _install_hint(missing):
    names = " ".join(PIP_NAMES.get(m, m.replace("_", "-")) for m in missing)
    return f"pip install {names}"


def requires(line, cell):
    """Cell magic ``%%requires module ...``: run the cell only if every module imports.

    Registered by :func:`load_ipython_extension`.  When a module is missing
    the cell is skipped with one line that names it and the ``pip install``
    command that provides it; when all are present the cell runs as if the
    magic were not there (its last expression is displayed, and an error in
    it is an error of the cell).
    """
    from IPython import get_ipython

    modules = line.split()
    missing = missing_modules(*modules)
    if missing:
        print(
            f"Skipped: this cell needs {', '.join(missing)}, which is not installed. "
            f"To run it: {_install_hint(missing)}, then restart the kernel."
        )
        return None
    result = get_ipython().run_cell(cell, store_history=False)
    result.raise_error()
    return None


def load_ipython_extension(ipython):
    """Register the cell magic ``%%requires`` (run ``%load_ext companion.notebook``)."""
    ipython.register_magic_function(requires, magic_kind="cell", magic_name="requires")

