"""What every chapter notebook must carry so that it runs anywhere (issue 14).

* The first code cell is the reader's install cell, exactly as
  ``book/_ext/reader_install.py`` writes it (the one place of the install line),
  tagged so that the book's build and nbval skip it.
* No notebook imports myst-nb: glue goes through ``companion.notebook.glue``.
* No notebook reads a file of the repository outside ``book/``.
* Every notebook that draws applies the book's figure style in its setup cell.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import reader_install  # noqa: E402


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code(path):
    return ["".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_current_install_cell(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    problem = reader_install.check_notebook(notebook)
    assert problem is None, f"{path.name}: {problem}"


def test_install_cell_says_the_install_line_and_is_skipped_by_build_and_nbval():
    source = reader_install.install_cell_source()
    *_, book, wheel, line = source.splitlines()
    assert book == f'book = "{reader_install.PLACEHOLDER}"'
    assert wheel == f'wheel = book + "_static/dist/{reader_install.wheel_name()}"'
    assert line == '%pip install "companion[plot,dask] @ {wheel}"'
    assert reader_install.install_line("https://example.org/book/").endswith(
        f'@ https://example.org/book/_static/dist/{reader_install.wheel_name()}"'
    )
    assert {"skip-execution", "nbval-skip"} <= set(reader_install.INSTALL_CELL_TAGS)
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert reader_install.wheel_name() == f"companion-{version}-py3-none-any.whl"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_build_tool_imports_and_no_repository_files(path):
    for source in _code(path):
        assert "myst_nb" not in source, f"{path.name}: use `from companion.notebook import glue`"
        assert "../benchmarks" not in source and "../companion" not in source, (
            f"{path.name} reads a file of the repository; ship it with the package"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_that_draw_use_the_book_style(path):
    sources = _code(path)
    draws = any("plt." in s or "cp.plotting" in s or "companion.plotting" in s for s in sources)
    if draws:
        assert any("use_book_style()" in s for s in sources), f"{path.name}: call cp.plotting.use_book_style()"
