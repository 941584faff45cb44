"""The page checks of tests/test_book_browser.py at a phone's width, 390 px.

A separate file so that pytest-xdist (``--dist loadfile``) runs the two widths
on different workers.
"""

from __future__ import annotations

import pytest

from test_book_browser import _pages, browser, check_page, server_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page_path", _pages())
def test_page_reads_well_at_390_px(page_path, server_url, browser):  # noqa: F811 - fixtures
    check_page(page_path, 390, server_url, browser)
