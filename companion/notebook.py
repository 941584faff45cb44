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

__all__ = [
    "glue",
    "glue_number",
    "glue_scientific",
    "scientific",
    "requires",
    "missing_modules",
    "load_ipython_extension",
]

#: What to ``pip install`` for a module that a chapter may need.
PIP_NAMES = {
    "dask": '"dask[array]"',
    "dask_ml": "dask-ml",
    "matplotlib": "matplotlib",
    "sklearn": "scikit-learn",
}


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
    rich = ("_repr_html_", "_repr_png_", "_repr_markdown_")
    if hasattr(value, "savefig") or any(hasattr(value, attr) for attr in rich):
        ipython_display(value)  # a figure or a rich object: show it as IPython would
    else:
        print(f"{name} = {value}")


def _round_significant(value, digits):
    """``value`` rounded to ``digits`` significant digits (an int when it has that many before the point)."""
    value = float(value)
    if value != 0 and abs(value) >= 10 ** (digits - 1):
        return int(round(value))
    return float(f"{value:.{digits}g}")


def glue_number(name, value, digits=3):
    """Glue a number rounded to ``digits`` significant digits, for ``{glue:text}`name```.

    Rounding before gluing keeps the stored output stable (the last bits of a
    float differ between machines) and the prose free of spurious digits.  A
    value with at least ``digits`` digits before the point is glued as an
    integer.

    Parameters
    ----------
    name : str
        The key the book's text uses.
    value : float
        The number.
    digits : int, default 3
        Significant digits kept.

    Returns
    -------
    None

    Examples
    --------
    >>> _round_significant(3.14159, 3), _round_significant(1234.6, 3)
    (3.14, 1235)
    """
    glue(name, _round_significant(value, digits), display=False)


def scientific(value, digits=2):
    r"""``value`` as Markdown maths in scientific notation, e.g. ``$3.9 \times 10^{-9}$``.

    Prose should not show e-notation ("3.9e-09"); this is how the book writes
    a small or large number.  A mantissa of exactly 1 is left out (``$10^{-12}$``).

    Parameters
    ----------
    value : float
        The number (zero is written ``$0$``).
    digits : int, default 2
        Significant digits of the mantissa.

    Returns
    -------
    str
        Markdown with inline maths.

    Examples
    --------
    >>> scientific(3.87e-9)
    '$3.9 \\times 10^{-9}$'
    >>> scientific(-4.108e8, 3)
    '$-4.11 \\times 10^{8}$'
    >>> scientific(1e-12)
    '$10^{-12}$'
    """
    value = float(value)
    if value == 0:
        return "$0$"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    power = f"10^{{{int(exponent)}}}"
    if float(mantissa) == 1:
        return f"${power}$"
    if float(mantissa) == -1:
        return f"$-{power}$"
    return f"${mantissa} \\times {power}$"


def glue_scientific(name, value, digits=2):
    """Glue ``value`` in scientific notation as Markdown, for ``{glue:md}`name:myst```.

    The ``:myst`` suffix makes myst-nb parse the glued Markdown, so its maths
    is typeset (without it the page shows the raw TeX).  See :func:`scientific`.

    Parameters
    ----------
    name : str
        The key the book's text uses.
    value : float
        The number.
    digits : int, default 2
        Significant digits of the mantissa.

    Returns
    -------
    None
    """
    from IPython.display import Markdown

    glue(name, Markdown(scientific(value, digits)), display=False)


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

