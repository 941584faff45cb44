"""One install line for readers, said in one place, and the package it installs served with the book.

This module is the *one place* for the reader's install instructions:

* :data:`INSTALL_LINE` is the command that makes a downloaded chapter run,
  ``pip install "companion[plot,dask] @ <wheel URL>"``;
* :func:`install_cell` is the first code cell of every notebook: that command
  as ``%pip install``, tagged so that the book's build (myst-nb's
  ``skip-execution``) and nbval (``nbval-skip``) skip it, and hidden from the
  page (``remove-cell``), where the box below says the same;
* every notebook page gets, under its title, a box "Run this chapter
  yourself" with the same command and links to the wheel and the sdist.

As a Sphinx extension it also builds ``companion``'s wheel and sdist into
``_static/dist/`` of the built site, so the online book carries the exact
package its pages were executed with.

The book has no fixed address, so the wheel's URL is written with the
placeholder :data:`PLACEHOLDER` for the site's root.  In the page a small
script (``static/reader_install.js``) replaces it by the root of the site the
page was loaded from, in the box and in the notebook that the download button
saves.  If ``html.baseurl`` is set in ``_config.yml``, the build writes that
address into the served notebooks (``_sources/``) as well.

Run ``python book/_ext/reader_install.py`` to write (or update) the install
cell in every notebook of ``book/``; ``--check`` only reports notebooks whose
cell is missing or differs (the build warns about them too, and the tests
fail).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__version__ = "0.1.0"

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]  # the repository (book/_ext/ -> book/ -> root)
STATIC = HERE / "static"

#: Where the built site keeps the wheel and the sdist (relative to its root).
DIST_DIR = "_static/dist"
#: Stands for the address of the site until the page's script (or html.baseurl) fills it in.
PLACEHOLDER = "https://<address of this book>/"
#: The reader's install line; ``{wheel_url}`` is the absolute URL of the wheel.
INSTALL_LINE = 'pip install "companion[plot,dask] @ {wheel_url}"'
#: Tags of the install cell: skipped by the book's build and by nbval, not shown in the page.
INSTALL_CELL_TAGS = ["reader-install", "skip-execution", "nbval-skip", "remove-cell"]
#: The Markdown title of the box in the page.
BOX_TITLE = "Run this chapter yourself"


def package_version(root: Path = ROOT) -> str:
    """``companion``'s version, read from pyproject.toml (no import of the package)."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if match is None:
        raise RuntimeError("no version = \"...\" line in pyproject.toml")
    return match.group(1)


def wheel_name(version: str | None = None) -> str:
    return f"companion-{version or package_version()}-py3-none-any.whl"


def sdist_name(version: str | None = None) -> str:
    return f"companion-{version or package_version()}.tar.gz"


def install_line(site_root: str = PLACEHOLDER, version: str | None = None) -> str:
    """The install line for a site whose root URL is ``site_root`` (ending in ``/``)."""
    return INSTALL_LINE.format(wheel_url=f"{site_root}{DIST_DIR}/{wheel_name(version)}")


def install_cell_source(version: str | None = None) -> str:
    """Source of the first code cell of every notebook: :data:`INSTALL_LINE` as ``%pip``.

    The site's address is a variable so that every line fits 88 characters;
    IPython expands ``{wheel}`` in the magic.
    """
    line = "%" + INSTALL_LINE.format(wheel_url="{wheel}")
    return (
        "# Outside the book's build: install the book's package, companion, with\n"
        "# matplotlib and Dask, from the wheel the book serves, then restart the kernel.\n"
        "# A notebook saved with the page's download button has the book's address here.\n"
        f'book = "{PLACEHOLDER}"\n'
        f'wheel = book + "{DIST_DIR}/{wheel_name(version)}"\n'
        f"{line}"
    )


def install_cell(version: str | None = None) -> dict:
    """The install cell as an nbformat 4 code cell."""
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": list(INSTALL_CELL_TAGS)},
        "outputs": [],
        "source": install_cell_source(version).splitlines(keepends=True),
    }


def find_install_cell(notebook: dict) -> int | None:
    for index, cell in enumerate(notebook["cells"]):
        if "reader-install" in cell.get("metadata", {}).get("tags", []):
            return index
    return None


def check_notebook(notebook: dict, version: str | None = None) -> str | None:
    """``None`` if the notebook's first code cell is the current install cell, else what is wrong."""
    index = find_install_cell(notebook)
    code = [i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
    if index is None:
        return "has no install cell (run: python book/_ext/reader_install.py)"
    if not code or code[0] != index:
        return "install cell is not the first code cell"
    cell = notebook["cells"][index]
    if "".join(cell["source"]) != install_cell_source(version):
        return "install cell differs from book/_ext/reader_install.py (run: python book/_ext/reader_install.py)"
    if cell["metadata"].get("tags") != INSTALL_CELL_TAGS:
        return f"install cell tags are {cell['metadata'].get('tags')}, expected {INSTALL_CELL_TAGS}"
    return None


def write_install_cell(path: Path, version: str | None = None) -> bool:
    """Insert or update the install cell of one notebook (after its first Markdown cell); True if changed."""
    import nbformat

    text = path.read_text(encoding="utf-8")
    notebook = nbformat.reads(text, as_version=4)
    fresh = nbformat.from_dict(install_cell(version))
    index = find_install_cell(notebook)
    if index is not None:
        fresh["id"] = notebook.cells[index].get("id", "reader-install")
        notebook.cells[index] = fresh
    else:
        fresh["id"] = "reader-install"
        first_code = next((i for i, c in enumerate(notebook.cells) if c.cell_type == "code"), len(notebook.cells))
        notebook.cells.insert(min(1, first_code), fresh)
    new = nbformat.writes(notebook) + "\n"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


# --------------------------------------------------------------------------- Sphinx


def _is_notebook(app, docname: str) -> bool:
    return Path(app.env.doc2path(docname)).suffix == ".ipynb"


def _check_source(app, docname: str, source: list) -> None:
    """Warn (fails the -W build) when a notebook's install cell is missing or stale."""
    from sphinx.util import logging

    if not _is_notebook(app, docname):
        return
    problem = check_notebook(json.loads(source[0]))
    if problem:
        logging.getLogger(__name__).warning(f"{docname}.ipynb: {problem}", location=docname)


def _box_html(app, docname: str) -> str:
    import html

    root = "../" * docname.count("/")
    base = app.config.html_baseurl
    site = (base.rstrip("/") + "/") if base else PLACEHOLDER
    wheel, sdist = f"{root}{DIST_DIR}/{wheel_name()}", f"{root}{DIST_DIR}/{sdist_name()}"
    return f"""<div class="admonition tip dropdown reader-install">
<p class="admonition-title">{BOX_TITLE}</p>
<p>Download this page as a notebook (the download button at the top, <code>.ipynb</code>), and
install the book's package <code>companion</code> with matplotlib and Dask from the wheel that this book serves,
<a class="reader-install-wheel" href="{html.escape(wheel)}">{wheel_name()}</a>
(its source: <a href="{html.escape(sdist)}">{sdist_name()}</a>):</p>
<pre><code class="reader-install-line">{html.escape(install_line(site))}</code></pre>
<p>The notebook's first cell runs this command (<code>%pip install ...</code>); the book's own build skips it.
Python 3.10 or newer; any Jupyter (JupyterLab, Colab, VS Code) will do.</p>
</div>
"""


def _insert_box(app, doctree) -> None:
    from docutils import nodes

    docname = app.env.docname
    if not _is_notebook(app, docname):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children or not isinstance(section[0], nodes.title):
        return
    section.insert(1, nodes.raw("", _box_html(app, docname), format="html"))


def _build_distributions(outdir: Path) -> list[Path]:
    """Build companion's wheel and sdist from a copy of the package files into ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    for old in outdir.glob("companion-*"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="companion-dist-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "companion", src / "companion", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(outdir), str(src)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    return sorted(outdir.glob("companion-*"))


def _fill_served_notebooks(outdir: Path, site: str) -> None:
    for path in (outdir / "_sources").rglob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        if PLACEHOLDER in text:
            path.write_text(text.replace(PLACEHOLDER, site), encoding="utf-8")


def _build_finished(app, exception) -> None:
    from sphinx.util import logging

    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    try:
        built = _build_distributions(outdir / DIST_DIR)
    except subprocess.CalledProcessError as exc:
        logging.getLogger(__name__).warning(f"could not build companion's wheel and sdist: {exc.stderr[-2000:]}")
        return
    expected = {wheel_name(), sdist_name()}
    missing = expected - {p.name for p in built}
    if missing:
        logging.getLogger(__name__).warning(f"the build of companion did not produce {sorted(missing)}")
    if app.config.html_baseurl:
        _fill_served_notebooks(outdir, app.config.html_baseurl.rstrip("/") + "/")


def _add_static(app, config) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("config-inited", _add_static)
    app.connect("source-read", _check_source)
    app.connect("doctree-read", _insert_box)
    app.connect("build-finished", _build_finished)
    app.add_js_file("reader_install.js", defer="defer")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Write the reader's install cell into every notebook of book/.")
    parser.add_argument("--check", action="store_true", help="only report notebooks whose install cell is stale")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: book/*.ipynb")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    status = 0
    for path in paths:
        if args.check:
            problem = check_notebook(json.loads(path.read_text(encoding="utf-8")))
            if problem:
                print(f"{path}: {problem}")
                status = 1
        elif write_install_cell(path):
            print(f"{path}: install cell written")
    return status


if __name__ == "__main__":
    sys.exit(main())
