"""Tests of companion.metrics: the adjusted Rand index against hand-computed cases and scikit-learn."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

import companion as cp


def ari_by_hand(a, b):
    """Hubert and Arabie's formula in exact rationals, from an explicitly counted contingency table."""
    a, b = list(a), list(b)
    rows, cols = sorted(set(a)), sorted(set(b))
    table = [[sum(1 for x, y in zip(a, b) if x == r and y == c) for c in cols] for r in rows]
    index = sum(comb(n, 2) for row in table for n in row)
    sa = sum(comb(sum(row), 2) for row in table)
    sb = sum(comb(sum(col), 2) for col in zip(*table))
    expected = Fraction(sa * sb, comb(len(a), 2))
    maximum = Fraction(sa + sb, 2)
    return float((index - expected) / (maximum - expected))


@pytest.mark.parametrize(
    "a, b, value",
    [
        ([0, 0, 1, 1], [0, 0, 1, 1], 1.0),
        ([0, 0, 1, 1], [5, 5, 2, 2], 1.0),  # names do not matter
        ([0, 0, 1, 1], [0, 1, 0, 1], -0.5),
        # 6 points: index 2, sum C(a_i,2) = 6, sum C(b_j,2) = 3, C(6,2) = 15:
        # (2 - 18/15) / (9/2 - 18/15) = 8/33
        ([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2], 8.0 / 33.0),
        ([0, 0, 0, 0], [0, 0, 0, 0], 1.0),  # one cluster each: 0/0, identical
        ([0, 1, 2, 3], [3, 2, 1, 0], 1.0),  # singletons each: 0/0, identical
        ([0, 0, 0, 0], [0, 1, 2, 3], 0.0),
        (["a"], ["b"], 1.0),
    ],
)
def test_hand_computed_cases(a, b, value):
    assert cp.adjusted_rand_index(a, b) == pytest.approx(value, abs=1e-15)
    assert cp.adjusted_rand_index(b, a) == pytest.approx(value, abs=1e-15)  # symmetric


@pytest.mark.parametrize("seed", range(20))
def test_agrees_with_the_formula_in_exact_arithmetic(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    a, b = rng.integers(0, 4, n), rng.integers(0, 3, n)
    assert cp.adjusted_rand_index(a, b) == pytest.approx(ari_by_hand(a, b), rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("seed", range(10))
def test_matches_scikit_learn(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 500))
    a, b = rng.integers(0, 1 + seed, n), rng.integers(0, 5, n)
    if seed % 3 == 0:  # correlated labellings
        b = np.where(rng.random(n) < 0.8, a, b)
    assert cp.adjusted_rand_index(a, b) == pytest.approx(metrics.adjusted_rand_score(a, b), abs=1e-12)


def test_invariant_to_renaming_and_accepts_strings():
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 3, 60), rng.integers(0, 4, 60)
    names = np.array(["x", "y", "z"])
    assert cp.adjusted_rand_index(names[a], b) == cp.adjusted_rand_index((a + 1) % 3, b)


def test_contingency_table():
    t = cp.contingency_table([0, 0, 1, 2, 2, 2], [1, 1, 1, 0, 0, 1])
    assert t.tolist() == [[0, 2], [0, 1], [2, 1]]
    assert t.sum() == 6


@pytest.mark.parametrize(
    "a, b, exc, match",
    [
        ([0, 1], [0, 1, 2], ValueError, "same samples"),
        ([[0, 1]], [[0, 1]], ValueError, "must be 1-D"),
        ([], [], ValueError, "at least one sample"),
        (None, [0], TypeError, "1-D array of cluster labels"),
        ([0.0, np.nan], [0, 1], ValueError, "NaN"),
    ],
)
def test_bad_input(a, b, exc, match):
    with pytest.raises(exc, match=match):
        cp.adjusted_rand_index(a, b)
