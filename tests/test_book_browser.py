"""Open every page of the built book in headless Chromium and check it.

Per page: every math element is typeset by MathJax (no raw TeX left, no
``mjx-merror``), every ``<img>`` loaded, the console has no errors, no local
resource is missing and no request leaves the machine.  The book is served
from ``_build/html`` by a local ``http.server`` on 127.0.0.1; every other
address is aborted and reported as a failure.

Needs ``_build/html`` (``make book``), the Python package ``playwright`` and
Chromium at ``/usr/bin/chromium`` (Debian package ``chromium``; never
``playwright install``).  Without the browser the tests are skipped, except
when the environment variable ``CI`` is set, where they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import pathlib
import re
import shutil
import threading
import urllib.parse

import pytest

pytestmark = pytest.mark.browser

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
NO_BUILD = "<no _build/html>"
PAGE_TIMEOUT_MS = 60_000


def _pages() -> list[str]:
    """Every HTML page of the book, relative to _build/html (not _static etc.)."""
    if not (HTML / "index.html").is_file():
        return [NO_BUILD]
    pages = []
    for path in sorted(HTML.rglob("*.html")):
        rel = path.relative_to(HTML)
        if any(part.startswith("_") for part in rel.parts[:-1]):
            continue  # _static/, _sources/, _images/: assets, not pages
        pages.append(rel.as_posix())
    return pages


_REFRESH = re.compile(r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["'][^"']*url=([^"'>\s]+)""", re.I)


def _redirect_target(page_path: str) -> str | None:
    """Target of a ``<meta http-equiv="Refresh">`` redirect page (index.html)."""
    match = _REFRESH.search((HTML / page_path).read_text(encoding="utf-8", errors="replace"))
    if match is None:
        return None
    return urllib.parse.urljoin(page_path, match.group(1))


def _unavailable(reason: str):
    """Fail on CI (the browser test must run there), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error)", pytrace=False)
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".woff": "font/woff",
        ".woff2": "font/woff2",
    }

    def log_message(self, format, *args):  # noqa: A002 - signature from base class
        pass


@pytest.fixture(scope="module")
def server_url():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} has no built book: run `make book` first", pytrace=False)
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed (pip install -r requirements.txt)")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        _unavailable(f"Chromium not found at {CHROMIUM} (Debian/Ubuntu: apt-get install chromium)")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # pragma: no cover - depends on the machine
        manager.stop()
        _unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
    try:
        yield chromium
    finally:
        chromium.close()
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
  const mathElements = Array.from(document.querySelectorAll(".math"));
  const untypeset = mathElements
    .filter((el) => !el.querySelector("mjx-container"))
    .map((el) => el.textContent.trim().slice(0, 80));
  const containers = document.querySelectorAll("mjx-container").length;
  const errors = Array.from(document.querySelectorAll("mjx-merror"))
    .map((el) => el.getAttribute("data-mjx-error") || el.textContent.slice(0, 80));
  // TeX delimiters left in text that MathJax should have replaced; code is exempt.
  const skip = "pre, code, script, style, textarea, kbd, samp, mjx-container, .highlight";
  const rawTex = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.nodeValue;
    if (!/\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/.test(text)) continue;
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    rawTex.push(text.trim().slice(0, 80));
  }
  const brokenImages = Array.from(document.images)
    .filter((img) => !(img.complete && img.naturalWidth > 0))
    .map((img) => img.getAttribute("src"));
  return {
    mathElements: mathElements.length, containers, untypeset, errors, rawTex,
    images: document.images.length, brokenImages,
  };
}
"""


@pytest.mark.parametrize("page_path", _pages())
def test_page_renders_offline_and_cleanly(page_path, server_url, browser):
    if page_path == NO_BUILD:
        pytest.fail(f"{HTML} has no built book: run `make book` first", pytrace=False)

    local = urllib.parse.urlsplit(server_url).netloc
    problems: list[str] = []

    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(PAGE_TIMEOUT_MS)

    def route(route):
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc == local:
            route.continue_()
        else:
            problems.append(f"request leaves the machine (blocked): {url}")
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    page.on("pageerror", lambda exc: problems.append(f"uncaught exception: {exc}"))
    page.on(
        "response",
        lambda response: response.status >= 400
        and problems.append(f"HTTP {response.status} for {response.url}"),
    )
    redirect = _redirect_target(page_path)
    try:
        if redirect is None:
            page.goto(f"{server_url}/{page_path}", wait_until="load")
        else:
            # A redirect page: check that it lands on its target and check that.
            assert (HTML / redirect).is_file(), f"{page_path} redirects to missing {redirect}"
            target = f"{server_url}/{redirect}"
            with page.expect_navigation(url=target, wait_until="load"):
                page.goto(f"{server_url}/{page_path}", wait_until="commit")
        page.evaluate(_PREPARE_IMAGES)
        has_mathjax = page.evaluate(_WAIT_FOR_MATHJAX)
        report = page.evaluate(_INSPECT)
        page.wait_for_timeout(100)  # let late console messages arrive
    finally:
        context.close()

    if report["mathElements"] and not has_mathjax:
        problems.append(f"{report['mathElements']} math elements but MathJax did not load")
    if report["containers"] < report["mathElements"]:
        problems.append(
            f"only {report['containers']} mjx-container for {report['mathElements']} math elements"
        )
    problems += [f"math not typeset: {tex!r}" for tex in report["untypeset"]]
    problems += [f"MathJax error: {err!r}" for err in report["errors"]]
    problems += [f"raw TeX left in the page: {tex!r}" for tex in report["rawTex"]]
    problems += [f"image did not load: {src}" for src in report["brokenImages"]]

    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def _animation_pages() -> list[str]:
    """Built pages that embed a matplotlib JavaScript animation (its frames are an <img id="_anim_img...">)."""
    if not HTML.is_dir():
        return [NO_BUILD]
    pages = sorted(
        str(p.relative_to(HTML)) for p in HTML.rglob("*.html") if "_anim_img" in p.read_text(errors="ignore")
    )
    return pages or [NO_BUILD]


_ANIMATION_FRAMES = """
async () => {
  const players = Array.from(document.querySelectorAll("img[id^='_anim_img']"));
  const results = [];
  for (const img of players) {
    const id = img.id.slice("_anim_img".length);
    const player = window["anim" + id];
    const first = img.src;
    const play = img.closest(".animation").querySelector("button[title='Play']");
    play.click();
    await new Promise((done) => setTimeout(done, 1500));
    const later = img.src;
    if (player && player.pause_animation) player.pause_animation();
    results.push({id, frames: player ? player.frames.length : 0, changed: later !== first,
                  loaded: img.complete && img.naturalWidth > 0});
  }
  return results;
}
"""


@pytest.mark.parametrize("page_path", _animation_pages())
def test_animations_play(page_path, server_url, browser):
    """Every embedded animation has several frames, shows an image, and pressing Play changes the frame."""
    if page_path == NO_BUILD:
        pytest.fail(f"{HTML} has no built book with animations: run `make book` first", pytrace=False)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    local = urllib.parse.urlsplit(server_url).netloc
    context.route(
        "**/*",
        lambda route: route.continue_()
        if urllib.parse.urlsplit(route.request.url).netloc == local
        else route.abort(),
    )
    page = context.new_page()
    try:
        page.goto(f"{server_url}/{page_path}", wait_until="load")
        players = page.evaluate(_ANIMATION_FRAMES)
    finally:
        context.close()
    assert players, f"{page_path}: no animation player found"
    for p in players:
        assert p["frames"] >= 2, f"{page_path}: animation {p['id']} has {p['frames']} frames"
        assert p["loaded"], f"{page_path}: animation {p['id']} shows no image"
        assert p["changed"], f"{page_path}: animation {p['id']} did not advance after Play"
