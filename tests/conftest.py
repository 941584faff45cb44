"""Shared pytest configuration for the unit tests, the doctests, nbval and
the browser test.

pytest's own settings (testpaths, --doctest-modules, ignored folders,
markers) are in ``pyproject.toml``; ``make test`` adds ``--nbval`` and the
xdist options.
"""

from __future__ import annotations

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD_HTML = ROOT / "_build" / "html"

try:  # hypothesis is a test requirement, but keep conftest importable without it
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover
    settings = None

if settings is not None:
    # No per-example deadline: timings on a loaded 2-core CI machine (with
    # two xdist workers and notebook kernels running) are too noisy for it.
    settings.register_profile(
        "default",
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    # On CI, the same examples every run, so a failure is reproducible.
    settings.register_profile(
        "ci",
        parent=settings.get_profile("default"),
        derandomize=True,
        print_blob=True,
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    """The repository root (the folder holding ``_config.yml``)."""
    return ROOT


@pytest.fixture(scope="session")
def built_html() -> pathlib.Path:
    """``_build/html`` of the built book; fails with a hint when it is missing."""
    if not (BUILD_HTML / "index.html").is_file():
        pytest.fail(f"{BUILD_HTML} has no built book: run `make book` first", pytrace=False)
    return BUILD_HTML
