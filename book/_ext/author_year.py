"""Author-year references: the bibliography's labels are the in-text citations.

The chapters cite with ``{cite}`` (and ``{cite:p}``, ``{cite:t}``), which
sphinxcontrib-bibtex renders as "[Bishop 2006]" or "Bishop [2006]" with the
referencing style ``author_year_book`` registered here (author-year, no comma
between them).  The list on the References page uses the formatting style
``author_year_book``, also registered here:

* its label is the same text: "Bishop 2006", "Arthur and Vassilvitskii 2007",
  "Aloise et al. 2009" (three or more authors), "Dask Developers 2026a";
* entries are sorted by the authors' last names, then the year, then the
  title (braces and accents do not disturb the order: ``{Dask Developers}``
  sorts under D);
* when one author list has several works in one year, their years become
  2026a, 2026b, ... (in title order), in the list *and* in the text, so a
  citation always names exactly one entry.

Select them in ``_config.yml``::

    bibtex_reference_style: author_year_book   # under sphinx.config
    bibtex_default_style: author_year_book
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass, field

import pybtex.plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle

__version__ = "0.1.0"

STYLE_NAME = "author_year_book"


def _plain(latex: str) -> str:
    """A BibTeX string as plain text: braces and LaTeX accents resolved."""
    return Text.from_latex(latex).render_as("text")


def _last_names(person) -> str:
    return _plain(" ".join(person.prelast_names + person.last_names))


def _authors(entry):
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    return list(persons)


def author_text(entry) -> str:
    """"Bishop", "Arthur and Vassilvitskii" or "Aloise et al." (as in the text)."""
    names = [_last_names(p) for p in _authors(entry)]
    if not names:
        return _plain(entry.fields.get("key", entry.key))
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def _sort_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sort_key(entry):
    names = tuple(_sort_text(_last_names(p)) for p in _authors(entry))
    return (names, entry.fields.get("year", ""), _sort_text(_plain(entry.fields.get("title", ""))))


class AuthorYearLabelStyle(BaseLabelStyle):
    """Label "<authors> <year>", the text of an author-year citation."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield f"{author_text(entry)} {entry.fields.get('year', 'n.d.')}"


class AuthorYearSortingStyle(BaseSortingStyle):
    """Sort by the authors' last names (without braces or accents), year, title."""

    def sorting_key(self, entry):
        return sort_key(entry)


class AuthorYearStyle(PlainStyle):
    """pybtex's ``plain`` entries with author-year labels, sorted by author then year."""

    default_label_style = AuthorYearLabelStyle
    default_sorting_style = AuthorYearSortingStyle


def disambiguate_years(entries) -> dict[str, str]:
    """Append a, b, ... to the years of works with the same authors and year.

    Modifies the entries in place (so the text and the list agree) and
    returns ``{key: new year}`` for the entries it changed.
    """
    groups: dict[tuple, list] = {}
    for entry in entries.values():
        year = entry.fields.get("year", "")
        if year and not year[-1].isalpha():
            groups.setdefault((author_text(entry), year), []).append(entry)
    changed = {}
    for (_, year), group in groups.items():
        if len(group) < 2:
            continue
        group.sort(key=sort_key)
        for letter, entry in zip(string.ascii_lowercase, group):
            entry.fields["year"] = changed[entry.key] = f"{year}{letter}"
    return changed


def _disambiguate(app) -> None:
    domain = app.env.get_domain("cite")
    disambiguate_years(domain.bibdata.data.entries)


def _register_referencing_style():
    import sphinxcontrib.bibtex.plugin
    from sphinxcontrib.bibtex.style.referencing import BracketStyle
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    @dataclass
    class AuthorYearBookReferenceStyle(AuthorYearReferenceStyle):
        """sphinxcontrib-bibtex's author-year citations without the comma: [Bishop 2006]."""

        bracket_parenthetical: BracketStyle = field(default_factory=BracketStyle)
        author_year_sep: str = " "

    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", STYLE_NAME, AuthorYearBookReferenceStyle, force=True
    )


def setup(app):
    pybtex.plugin.register_plugin("pybtex.style.formatting", STYLE_NAME, AuthorYearStyle, force=True)
    pybtex.plugin.register_plugin("pybtex.style.labels", STYLE_NAME, AuthorYearLabelStyle, force=True)
    pybtex.plugin.register_plugin("pybtex.style.sorting", STYLE_NAME, AuthorYearSortingStyle, force=True)
    _register_referencing_style()
    # after sphinxcontrib-bibtex has read the .bib files (its handler has the default priority 500)
    app.connect("builder-inited", _disambiguate, priority=900)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
