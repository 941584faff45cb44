"""Emit each ``<script>`` tag only once per page.

Under Sphinx 7 (the newest Sphinx that Jupyter Book 1 accepts) some inline
scripts registered with ``app.add_js_file(None, body=...)`` by sphinx-thebe and
sphinx-togglebutton end up twice in every page.  The browser then reports
``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared``.
Sphinx 8.2 fixed this upstream; this extension removes the duplicates from the
page context just before the page is rendered.  A script counts as a duplicate
when its file name and all its attributes (including an inline ``body``) equal
those of one already kept; the copy with the lowest priority is kept.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def _key(script: Any) -> tuple:
    filename = getattr(script, "filename", script)
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename or ""), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    ordered = sorted(scripts, key=lambda js: getattr(js, "priority", 500))
    seen: set[tuple] = set()
    kept = []
    for script in ordered:
        key = _key(script)
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    if len(kept) != len(scripts):
        context["script_files"] = kept


def setup(app):
    # Run after every other html-page-context handler (default priority 500),
    # so scripts that other extensions add per page are de-duplicated too.
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
