"""Look at the built book in headless Chromium: the checks of the browser tests, screenshots, a report.

Used by ``tests/test_book_browser.py`` (1280 px wide) and
``tests/test_book_browser_phone.py`` (390 px), and from the command line::

    python tests/book_browser.py --screenshots _build/screenshots   # make screenshots
    python tests/book_browser.py --report FILE.md                   # every problem, per page

The book is served from ``_build/html`` by a local ``http.server`` on
127.0.0.1; every other address is aborted and reported.  Chromium is the
system one (``/usr/bin/chromium``, or ``BOOK_TEST_CHROMIUM``); never
``playwright install``.

Per page and width, :func:`page_problems` reports:

* a console error, an uncaught exception, a request that leaves the machine,
  an HTTP error, an image that did not load;
* maths not typeset by MathJax, a MathJax error node (``mjx-merror``), raw TeX
  (``$``, ``\\(``, ``\\begin``, ``\\sum``, any ``\\command``) in visible text
  outside code;
* a display equation wider than its container that does not scroll
  horizontally (named by its number, or by its TeX when it has none);
* "Traceback" in a cell output;
* an image whose alt text is a file path (or missing, for a figure);
* a raster image shown smaller than 60% of the width it was made for: its
  natural width divided by its device-pixel ratio (dpi / 100, read from the
  PNG) must be at most the displayed width / 0.6; SVG passes.  Checked at
  1280 px only, where the figure text must be >= 11 px (CLARIFICATIONS.md);
  on a phone every figure is narrowed to the screen;
* a table cell without horizontal padding;
* a sidebar without the chapters' numbers;
* on the API page, a name of ``companion.__all__`` without its entry.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import os
import pathlib
import re
import struct
import sys
import threading
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = os.environ.get("BOOK_TEST_CHROMIUM", "/usr/bin/chromium")
# Flags that keep Chromium from contacting any server by itself.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
WIDTHS = (1280, 390)
HEIGHT = {1280: 900, 390: 844}
PAGE_TIMEOUT_MS = 60_000
#: An image may be shown down to this fraction of the width it was made for.
MIN_DISPLAY_FRACTION = 0.6
API_PAGE = "book/api.html"


def pages() -> list[str]:
    """Every HTML page of the book, relative to _build/html (not _static etc.)."""
    found = []
    for path in sorted(HTML.rglob("*.html")):
        rel = path.relative_to(HTML)
        if any(part.startswith("_") for part in rel.parts[:-1]):
            continue  # _static/, _sources/, _images/: assets, not pages
        found.append(rel.as_posix())
    return found


_REFRESH = re.compile(r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["'][^"']*url=([^"'>\s]+)""", re.I)


def redirect_target(page_path: str) -> str | None:
    """Target of a ``<meta http-equiv="Refresh">`` redirect page (index.html)."""
    match = _REFRESH.search((HTML / page_path).read_text(encoding="utf-8", errors="replace"))
    if match is None:
        return None
    return urllib.parse.urljoin(page_path, match.group(1))


def numbered_chapters() -> int:
    """How many chapters _toc.yml numbers (the parts with ``numbered: true``)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return sum(len(part.get("chapters", [])) for part in toc.get("parts", []) if part.get("numbered"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".woff": "font/woff",
        ".woff2": "font/woff2",
        ".ipynb": "application/x-ipynb+json",
        ".whl": "application/zip",
    }

    def log_message(self, format, *args):  # noqa: A002 - signature from base class
        pass


@contextlib.contextmanager
def serve(directory: pathlib.Path = HTML):
    """Serve ``directory`` on 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def chromium():
    """A headless Chromium (the system one) driven by playwright."""
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        manager.stop()
        raise
    try:
        yield browser
    finally:
        browser.close()
        manager.stop()


_PREPARE_IMAGES = """
async () => {
  const images = Array.from(document.images);
  for (const img of images) { if (img.loading === "lazy") img.loading = "eager"; }
  await Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
    setTimeout(done, 10000);
  })));
}
"""

_WAIT_FOR_MATHJAX = """
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
    return true;
  }
  return false;
}
"""

_INSPECT = r"""
() => {
  const article = document.querySelector("article.bd-article") || document.body;
  const mathElements = Array.from(document.querySelectorAll(".math"));
  const untypeset = mathElements
    .filter((el) => !el.querySelector("mjx-container"))
    .map((el) => el.textContent.trim().slice(0, 80));
  const containers = document.querySelectorAll("mjx-container").length;
  const errors = Array.from(document.querySelectorAll("mjx-merror"))
    .map((el) => el.getAttribute("data-mjx-error") || el.textContent.slice(0, 80));
  // An undefined macro (\partialL for \partial L) is not an mjx-merror: MathJax's
  // noundefined extension typesets its name as red text (<mtext mathcolor="red">
  // in the assistive MathML; the CHTML glyphs carry no text).
  for (const el of document.querySelectorAll('mjx-container mtext[mathcolor="red"]')) {
    errors.push("undefined macro " + el.textContent.trim().slice(0, 80));
  }

  // TeX left in visible text that MathJax should have replaced; code is exempt.
  const skip = "pre, code, script, style, textarea, kbd, samp, mjx-container, .highlight, noscript";
  const tex = /\$|\\\(|\\\)|\\\[|\\\]|\\[A-Za-z]+/;
  const rawTex = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.nodeValue;
    if (!tex.test(text)) continue;
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    rawTex.push(text.trim().replace(/\s+/g, " ").slice(0, 100));
  }

  // Display equations: wider than their box only if the box scrolls.
  const texOf = new Map();
  if (window.MathJax && MathJax.startup && MathJax.startup.document) {
    for (const item of MathJax.startup.document.math) texOf.set(item.typesetRoot, item.math);
  }
  const equations = [];
  for (const c of document.querySelectorAll('mjx-container[display="true"]')) {
    const rect = c.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;  // hidden (a closed dropdown)
    const box = c.closest("div.math");
    const eqno = box && box.querySelector("span.eqno");
    const number = eqno ? eqno.textContent.replace(/[#¶]/g, "").trim() : null;
    const parent = c.parentElement.getBoundingClientRect();
    const overflowX = getComputedStyle(c).overflowX;
    const wider = c.scrollWidth > c.clientWidth + 1;
    const scrolls = wider && (overflowX === "auto" || overflowX === "scroll");
    const beyondParent = rect.right > parent.right + 1 || rect.left < parent.left - 1;
    equations.push({
      number, tex: (texOf.get(c) || "").trim().replace(/\s+/g, " ").slice(0, 70),
      content: c.scrollWidth, visible: c.clientWidth, wider, scrolls, beyondParent,
    });
  }

  const tracebacks = Array.from(document.querySelectorAll(".cell_output, .output"))
    .filter((el) => /Traceback/.test(el.textContent))
    .map((el) => el.textContent.trim().replace(/\s+/g, " ").slice(0, 100));

  const images = Array.from(document.images).map((img) => {
    const r = img.getBoundingClientRect();
    const fig = img.closest("figure");
    const number = fig && fig.querySelector(".caption-number");
    const where = fig ? [number ? number.textContent.trim() : "", fig.id ? `(${fig.id})` : ""].join(" ").trim()
      : (img.closest(".animation") ? "animation " + img.id.replace("_anim_img", "") : "");
    return {
      where,
      src: img.currentSrc || img.src, attrSrc: img.getAttribute("src"),
      alt: img.getAttribute("alt"), natural: img.naturalWidth, shown: r.width,
      loaded: img.complete && img.naturalWidth > 0, inArticle: !!img.closest("article"),
      figure: !!img.closest("figure"),
    };
  });

  const unpadded = [];
  let cells = 0;
  for (const cell of article.querySelectorAll("td, th")) {
    if (cell.offsetParent === null) continue;
    cells += 1;
    const cs = getComputedStyle(cell);
    if (parseFloat(cs.paddingLeft) < 2 && parseFloat(cs.paddingRight) < 2) {
      unpadded.push(cell.textContent.trim().slice(0, 30));
    }
  }

  const sidebar = Array.from(document.querySelectorAll("nav.bd-docs-nav a"))
    .map((a) => a.textContent.trim().replace(/\s+/g, " "));
  const apiEntries = Array.from(document.querySelectorAll("dt.sig[id]")).map((dt) => dt.id);

  return {
    mathElements: mathElements.length, containers, untypeset, errors, rawTex, equations,
    tracebacks, images, tableCells: cells, unpadded, sidebar, apiEntries,
  };
}
"""


def _png_dpi(data: bytes) -> float | None:
    """Horizontal dpi from a PNG's pHYs chunk (None if not a PNG or no pHYs)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"pHYs":
            ppu_x, _, unit = struct.unpack(">IIB", data[pos + 8 : pos + 17])
            return ppu_x * 0.0254 if unit == 1 else None
        if kind == b"IDAT":
            return None
        pos += 12 + length
    return None


def image_bytes(src: str, base_url: str) -> bytes | None:
    """The bytes of an image of the built book (a data: URI or a file under _build/html)."""
    if src.startswith("data:"):
        header, _, payload = src.partition(",")
        if ";base64" in header:
            return base64.b64decode(re.sub(r"[^A-Za-z0-9+/=]", "", payload))
        return urllib.parse.unquote_to_bytes(payload)
    parts = urllib.parse.urlsplit(src)
    if not src.startswith(base_url):
        return None
    path = HTML / urllib.parse.unquote(parts.path).lstrip("/")
    return path.read_bytes() if path.is_file() else None


def _is_vector(src: str, data: bytes | None) -> bool:
    return src.split("?")[0].lower().endswith(".svg") or src.startswith("data:image/svg") or (
        data is not None and data.lstrip()[:5] in (b"<?xml", b"<svg ")
    )


def _looks_like_a_path(alt: str, src: str) -> bool:
    alt = alt.strip()
    return bool(alt) and (
        alt == src
        or "_images/" in alt
        or "/" in alt and " " not in alt
        or re.search(r"\.(png|jpe?g|gif|svg|webp)$", alt, re.I) is not None
    )


def inspect_page(browser, base_url: str, page_path: str, width: int, *, screenshot: pathlib.Path | None = None):
    """Open one page at ``width`` and return (report, events): what the page shows and what happened."""
    local = urllib.parse.urlsplit(base_url).netloc
    events: list[str] = []
    context = browser.new_context(
        viewport={"width": width, "height": HEIGHT.get(width, 900)},
        service_workers="block",
        color_scheme="light",
    )
    context.set_default_timeout(PAGE_TIMEOUT_MS)

    def route(route):
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc == local:
            route.continue_()
        elif parts.scheme == "data":
            route.continue_()
        else:
            events.append(f"request leaves the machine (blocked): {url}")
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and events.append(f"console error: {msg.text}"))
    page.on("pageerror", lambda exc: events.append(f"uncaught exception: {exc}"))
    page.on(
        "response",
        lambda response: response.status >= 400 and events.append(f"HTTP {response.status} for {response.url}"),
    )
    redirect = redirect_target(page_path)
    try:
        if redirect is None:
            page.goto(f"{base_url}/{page_path}", wait_until="load")
        else:
            # A redirect page: check that it lands on its target and check that.
            if not (HTML / redirect).is_file():
                events.append(f"redirects to missing {redirect}")
                return None, events
            target = f"{base_url}/{redirect}"
            with page.expect_navigation(url=target, wait_until="load"):
                page.goto(f"{base_url}/{page_path}", wait_until="commit")
        page.evaluate(_PREPARE_IMAGES)
        has_mathjax = page.evaluate(_WAIT_FOR_MATHJAX)
        page.wait_for_timeout(100)  # layout after typesetting; late console messages
        report = page.evaluate(_INSPECT)
        report["hasMathJax"] = has_mathjax
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return report, events


def page_problems(report, events, page_path: str, width: int, base_url: str) -> list[str]:
    """Every problem of one page at one width, as readable lines."""
    problems = list(events)
    if report is None:
        return problems
    if report["mathElements"] and not report["hasMathJax"]:
        problems.append(f"{report['mathElements']} math elements but MathJax did not load")
    if report["containers"] < report["mathElements"]:
        problems.append(f"only {report['containers']} mjx-container for {report['mathElements']} math elements")
    problems += [f"math not typeset: {tex!r}" for tex in report["untypeset"]]
    problems += [f"MathJax error (mjx-merror): {err!r}" for err in report["errors"]]
    problems += [f"raw TeX in visible text: {tex!r}" for tex in report["rawTex"]]

    for eq in report["equations"]:
        name = f"equation {eq['number']}" if eq["number"] else f"unnumbered equation {eq['tex']!r}"
        if eq["beyondParent"] or (eq["wider"] and not eq["scrolls"]):
            problems.append(
                f"{name} is clipped: {eq['content']} px of maths in {eq['visible']} px, and it does not scroll"
            )

    problems += [f"Traceback in an output: {text!r}" for text in report["tracebacks"]]

    for img in report["images"]:
        src = img["attrSrc"] or ""
        short = src if not src.startswith("data:") else "an embedded image (data: URI, e.g. an animation frame)"
        if img.get("where"):
            short = img["where"]
        if not img["loaded"]:
            problems.append(f"image did not load: {short[:100]}")
            continue
        alt = img["alt"]
        if img["inArticle"] and alt is not None and _looks_like_a_path(alt, src):
            problems.append(f"image alt text is a file path: {short[:100]} has alt {alt[:40]!r}...")
        elif img["figure"] and not (alt or "").strip():
            problems.append(f"figure image without alt text: {short[:100]}")
        if width == 1280 and img["shown"] > 0:
            data = image_bytes(img["src"], base_url)
            if _is_vector(src, data):
                continue
            dpi = (_png_dpi(data) if data else None) or 100.0
            made_for = img["natural"] / (dpi / 100.0)
            if made_for > img["shown"] / MIN_DISPLAY_FRACTION + 1:
                problems.append(
                    f"image shown at {img['shown'] / made_for:.0%} of the width it was made for "
                    f"({made_for:.0f} px at {dpi:.0f} dpi shown at {img['shown']:.0f} px; "
                    f"figure text shrinks below 60%): {short[:100]}"
                )

    if report["unpadded"]:
        first = ", ".join(repr(t) for t in report["unpadded"][:5])
        problems.append(f"{len(report['unpadded'])} of {report['tableCells']} table cells have no padding: {first}")

    expected = numbered_chapters()
    numbered = [t for t in report["sidebar"] if re.match(r"^\d+\.\s", t)]
    if len(numbered) < expected:
        problems.append(f"sidebar shows {len(numbered)} numbered chapters, expected {expected}")

    if page_path == API_PAGE:
        import companion

        ids = set(report["apiEntries"])
        missing = [name for name in companion.__all__ if f"companion.{name}" not in ids]
        if missing:
            problems.append(f"API page has no entry for {missing}")
    return problems


def scrolling_equations(report) -> list[str]:
    """Display equations wider than their box that scroll (fine, but worth breaking)."""
    if report is None:
        return []
    out = []
    for eq in report["equations"]:
        if eq["scrolls"] and not eq["beyondParent"]:
            name = f"({eq['number'].strip('()')})" if eq["number"] else f"unnumbered {eq['tex']!r}"
            out.append(f"{name}: {eq['content']} px in {eq['visible']} px")
    return out


#: The smallest text of the book style (9 pt tick labels and legends) in CSS px at 100 dpi.
STYLE_SMALLEST_TEXT_PX = 9 * 100 / 72


def small_text_images(report, base_url: str) -> list[str]:
    """Images that pass the 60% rule but whose smallest book-style text is shown below 11 px."""
    if report is None:
        return []
    out = []
    for img in report["images"]:
        if not img["loaded"] or img["shown"] <= 0 or not img["inArticle"]:
            continue
        data = image_bytes(img["src"], base_url)
        if _is_vector(img["attrSrc"] or "", data):
            continue
        dpi = (_png_dpi(data) if data else None) or 100.0
        made_for = img["natural"] / (dpi / 100.0)
        fraction = min(1.0, img["shown"] / made_for)
        text_px = STYLE_SMALLEST_TEXT_PX * fraction
        if fraction >= MIN_DISPLAY_FRACTION and text_px < 11:
            src = img["attrSrc"] or ""
            name = img.get("where") or (src if not src.startswith("data:") else "an embedded animation frame")
            out.append(f"{name}: {made_for:.0f} px wide, shown at {fraction:.0%}, 9-pt text at {text_px:.1f} px")
    return out


# --------------------------------------------------------------------------- command line


def _selected(only: list[str] | None) -> list[str]:
    """The built pages, or those whose path contains one of ``only`` (``--page gmm``)."""
    return [p for p in pages() if not only or any(o in p for o in only)]


def _screenshots(outdir: pathlib.Path, only: list[str] | None = None) -> None:
    with serve() as base_url, chromium() as browser:
        for page_path in _selected(only):
            for width in WIDTHS:
                name = page_path.removesuffix(".html").replace("/", "_") + f"-{width}.png"
                inspect_page(browser, base_url, page_path, width, screenshot=outdir / name)
                print(outdir / name)


def _report(path: pathlib.Path, only: list[str] | None = None) -> int:
    lines = ["# Browser checks: what they report on today's build", ""]
    total = 0
    with serve() as base_url, chromium() as browser:
        for page_path in _selected(only):
            lines.append(f"## {page_path}")
            lines.append("")
            for width in WIDTHS:
                report, events = inspect_page(browser, base_url, page_path, width)
                found = page_problems(report, events, page_path, width, base_url)
                scrolling = scrolling_equations(report)
                small = small_text_images(report, base_url) if width == 1280 else []
                total += len(found)
                lines.append(f"### {width} px: {len(found) or 'no'} problem{'s' if len(found) != 1 else ''}")
                lines.append("")
                lines += [f"- {p}" for p in found]
                if small:
                    lines.append(f"- (passes the 60% rule, but figure text below 11 px: {len(small)} images; "
                                 "make them at most 6.7 in wide)")
                    lines += [f"  - {s}" for s in small]
                if scrolling:
                    lines.append(f"- (passes, but scrolls: {len(scrolling)} display equations wider than the column)")
                    lines += [f"  - {s}" for s in scrolling]
                lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{total} problems; written to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--screenshots", type=pathlib.Path, metavar="DIR", help="full-page PNGs of every page")
    group.add_argument("--report", type=pathlib.Path, metavar="FILE", help="every problem, per page, as Markdown")
    parser.add_argument("--page", action="append", metavar="NAME", help="only pages whose path contains NAME")
    args = parser.parse_args(argv)
    if not (HTML / "index.html").is_file():
        print(f"{HTML} has no built book: run `make book` first", file=sys.stderr)
        return 2
    if args.screenshots:
        _screenshots(args.screenshots, args.page)
        return 0
    return _report(args.report, args.page)


if __name__ == "__main__":
    sys.exit(main())
