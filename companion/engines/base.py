"""What every engine shares: the names of the engines and the signal to decline.

An *engine* computes the steps of one algorithm's loop; the loop itself (the
only Lloyd loop in :mod:`companion.kmeans`, the only EM loop in
:mod:`companion.mixture`) records the history, tests convergence and warns.
Engines return arrays, never result objects, and may keep state between
iterations (Hamerly's bounds, workspaces).

Names accepted by the ``engine`` argument of the fits:

``"plain"``
    The book's step functions (:func:`~companion.assign` and
    :func:`~companion.update_centers`; :func:`~companion.e_step` and
    :func:`~companion.m_step`), called as they are.
``"blocked"``
    Row blocks on threads: Hamerly's bounds for Lloyd
    (:mod:`companion.engines.lloyd`), the E-step fused with the M-step's
    statistics for EM (:mod:`companion.engines.em`).  The same iterates as
    ``"plain"`` (labels identical, parameters equal to rounding), except
    where rounding decides an exact tie of Lloyd's assignment; the Lloyd
    loop confirms the fixed point it stops at with the plain steps, and
    continues with them after an iteration that moved near ties only.
    Both engines certify their distances and log-densities per row
    against the rounding of the expanded forms (:mod:`companion.numerics`).
``"auto"``
    ``"blocked"`` where it exists, else ``"plain"``.
"""

from __future__ import annotations

from .._validation import check_choice

__all__ = ["ENGINE_NAMES", "EngineDeclined", "check_engine"]

ENGINE_NAMES = ("auto", "plain", "blocked")


class EngineDeclined(Exception):
    """Raised by an engine that cannot compute a step accurately; the loop falls back to the plain engine.

    The loop catches it and continues *from the current iterate* with the
    plain engine (it never restarts the fit).
    """


def check_engine(engine, available=ENGINE_NAMES):
    """``engine`` if it is one of ``available`` (a clear error naming the options otherwise)."""
    return check_choice(engine, available, "engine")
