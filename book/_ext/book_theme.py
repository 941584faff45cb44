"""The book's look: its style sheet, favicon and footer, and dark mode that follows the reader.

Adds ``static/book.css`` (display maths that scroll instead of being clipped,
images that fit the column, padded tables in theme colours, a light card
behind figures in dark mode) to every page, and replaces the theme's footer
("By <author>", the copyright line) by one line: the book's title, "companion
contributors" and the year (``templates/book-footer.html``).

The favicon is ``static/favicon.svg`` (``html.favicon`` in ``_config.yml``).
Dark mode: ``html_context.default_mode`` is ``auto`` in ``_config.yml``, so
the theme follows the reader's system preference.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"


def add_paths(app, config) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.append(str(TEMPLATES))
    options = dict(config.html_theme_options or {})
    options["footer_content_items"] = ["book-footer.html"]
    config.html_theme_options = options


def setup(app):
    app.connect("config-inited", add_paths)
    app.add_css_file("book.css")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
