"""The API appendix (book/api.md) documents every public name, and every docstring has what it needs."""

from __future__ import annotations

import inspect
import pathlib
import re

import pytest

import companion

ROOT = pathlib.Path(__file__).resolve().parents[1]
API_PAGE = ROOT / "book" / "api.md"


def test_api_page_documents_every_public_name():
    text = API_PAGE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto(?:function|class|data):: companion\.(\w+)$", text, re.M))
    summarised = set(re.findall(r"^   (\w+)$", text, re.M))
    missing = sorted(set(companion.__all__) - documented)
    assert not missing, f"book/api.md has no autodoc entry for {missing}"
    missing = sorted(set(companion.__all__) - summarised)
    assert not missing, f"book/api.md has no autosummary line for {missing}"


FUNCTIONS = [n for n in companion.__all__ if inspect.isfunction(getattr(companion, n))]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_docstring_has_parameters_returns_and_an_example(name):
    """numpydoc sections the API page shows for every function (issue 11)."""
    function = getattr(companion, name)
    doc = inspect.getdoc(function) or ""
    # a function without arguments has no Parameters section (numpydoc)
    needed = ("Parameters", "Returns", "Examples") if inspect.signature(function).parameters else ("Returns", "Examples")
    missing = [s for s in needed if not re.search(rf"^{s}\n-+$", doc, re.M)]
    assert not missing, f"companion.{name}: docstring has no {', '.join(missing)} section"
