"""Unit tests of the book's local Sphinx extensions (book/_ext)."""

from __future__ import annotations

import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

pybtex = pytest.importorskip("pybtex")
from pybtex.database import parse_string  # noqa: E402

import author_year  # noqa: E402

BIB = r"""
@book{b, author = {Bishop, Christopher M.}, title = {Pattern Recognition}, year = {2006}}
@inproceedings{a, author = {Arthur, David and Vassilvitskii, Sergei}, title = {{k}-means++}, year = {2007}}
@article{c, author = {Aloise, D. and Deshpande, A. and Hansen, P.}, title = {NP-hardness}, year = {2009}}
@misc{d2, author = {{Dask Developers}}, title = {Scheduler overview}, year = {2026}}
@misc{d1, author = {{Dask Developers}}, title = {Python API}, year = {2026}}
@article{r, author = {R{\"o}glin, Heiko}, title = {Smoothed}, year = {2011}}
"""


def _entries():
    return parse_string(BIB, "bibtex").entries


def test_labels_are_the_author_year_citations():
    entries = _entries()
    style = author_year.AuthorYearStyle()
    ordered = list(style.sort(entries.values()))
    labels = list(style.format_labels(ordered))
    assert dict(zip([e.key for e in ordered], labels)) == {
        "c": "Aloise et al. 2009",
        "a": "Arthur and Vassilvitskii 2007",
        "b": "Bishop 2006",
        "d1": "Dask Developers 2026",
        "d2": "Dask Developers 2026",
        "r": "Röglin 2011",
    }
    # sorted by author (braces and accents ignored), then year, then title
    assert [e.key for e in ordered] == ["c", "a", "b", "d1", "d2", "r"]


def test_same_authors_and_year_get_letters_in_text_and_list():
    entries = _entries()
    changed = author_year.disambiguate_years(entries)
    assert changed == {"d1": "2026a", "d2": "2026b"}
    labels = list(author_year.AuthorYearLabelStyle().format_labels([entries["d1"], entries["d2"]]))
    assert labels == ["Dask Developers 2026a", "Dask Developers 2026b"]
    assert author_year.disambiguate_years(entries) == {}  # idempotent


def test_bibliography_has_no_raw_tex_in_titles():
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    titles = re.findall(r"^\s*title\s*=\s*\{(.*)\},?\s*$", text, re.M)
    assert titles
    for title in titles:
        assert "$" not in title, title
