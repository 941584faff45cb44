"""Open every page of the built book in headless Chromium at 1280 px and check it.

The checks themselves are in ``tests/book_browser.py`` (its docstring lists
them); ``tests/test_book_browser_phone.py`` runs them at 390 px.  Per page:
the maths is typeset and fits (a display equation wider than the column must
scroll), no raw TeX, no traceback, images load, have real alt text and are
shown large enough for their text, tables have padding, the sidebar numbers
the chapters, the console stays clean and no request leaves the machine.
Every embedded animation plays.

Needs ``_build/html`` (``make book``), the Python package ``playwright`` and
Chromium at ``/usr/bin/chromium`` (Debian package ``chromium``; never
``playwright install``).  Without the browser the tests are skipped, except
when the environment variable ``CI`` is set, where they fail.
"""

from __future__ import annotations

import os
import shutil

import pytest

import book_browser as bb

pytestmark = pytest.mark.browser

NO_BUILD = "<no _build/html>"
WIDTH = 1280


def _pages() -> list[str]:
    if not (bb.HTML / "index.html").is_file():
        return [NO_BUILD]
    return bb.pages()


def _unavailable(reason: str):
    """Fail on CI (the browser test must run there), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server_url():
    if not (bb.HTML / "index.html").is_file():
        pytest.fail(f"{bb.HTML} has no built book: run `make book` first", pytrace=False)
    with bb.serve() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("the Python package playwright is not installed (pip install -r requirements.txt)")
    if not (os.path.isfile(bb.CHROMIUM) and os.access(bb.CHROMIUM, os.X_OK)) and not shutil.which(bb.CHROMIUM):
        _unavailable(f"Chromium not found at {bb.CHROMIUM} (Debian/Ubuntu: apt-get install chromium)")
    try:
        with bb.chromium() as chromium:
            yield chromium
    except Exception as exc:  # pragma: no cover - depends on the machine
        _unavailable(f"Chromium at {bb.CHROMIUM} did not start: {exc}")


def check_page(page_path, width, server_url, browser):
    if page_path == NO_BUILD:
        pytest.fail(f"{bb.HTML} has no built book: run `make book` first", pytrace=False)
    report, events = bb.inspect_page(browser, server_url, page_path, width)
    problems = bb.page_problems(report, events, page_path, width, server_url)
    assert not problems, f"{page_path} at {width} px:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page_path", _pages())
def test_page_reads_well_at_1280_px(page_path, server_url, browser):
    check_page(page_path, WIDTH, server_url, browser)


def _animation_pages() -> list[str]:
    """Built pages that embed a matplotlib JavaScript animation (its frames are an <img id="_anim_img...">)."""
    if not bb.HTML.is_dir():
        return [NO_BUILD]
    found = [p for p in bb.pages() if "_anim_img" in (bb.HTML / p).read_text(errors="ignore")]
    return found or [NO_BUILD]


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
        pytest.fail(f"{bb.HTML} has no built book with animations: run `make book` first", pytrace=False)
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, service_workers="block")
    context.set_default_timeout(bb.PAGE_TIMEOUT_MS)
    import urllib.parse

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


def test_served_package_and_install_box():
    """The site serves companion's wheel and sdist, and every notebook page says the install line."""
    import sys

    sys.path.insert(0, str(bb.ROOT / "book" / "_ext"))
    import reader_install

    dist = bb.HTML / reader_install.DIST_DIR
    assert (dist / reader_install.wheel_name()).is_file(), f"no wheel in {dist}"
    assert (dist / reader_install.sdist_name()).is_file(), f"no sdist in {dist}"
    for source in sorted((bb.ROOT / "book").glob("*.ipynb")):
        html = (bb.HTML / "book" / f"{source.stem}.html").read_text(encoding="utf-8")
        assert reader_install.BOX_TITLE in html, f"{source.stem}.html has no install box"
        assert reader_install.wheel_name() in html
