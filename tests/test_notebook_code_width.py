"""Every line of every code cell fits 88 characters (the width of the book's column).

Format a notebook with ``.venv/bin/ruff format book/<chapter>.ipynb`` (settings
in pyproject.toml); ruff cannot shorten long strings and comments, so break
those by hand.
"""

from __future__ import annotations

import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
MAX_LINE = 88


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_column(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    long = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        for number, line in enumerate("".join(cell["source"]).splitlines(), start=1):
            if len(line) > MAX_LINE:
                long.append(f"cell {index}, line {number}: {len(line)} characters: {line[:60]}...")
    assert not long, f"{path.name}: {len(long)} code lines longer than {MAX_LINE}:\n  " + "\n  ".join(long)
