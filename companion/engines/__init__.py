"""Engines: how the steps of Lloyd's and EM's loops are computed.

See :mod:`companion.engines.base` for the protocol and the names
(``"auto"``, ``"plain"``, ``"blocked"``); :mod:`.blocks` holds the row-block
and thread plumbing, :mod:`.lloyd` the blocked Lloyd engine (Hamerly's
bounds) and :mod:`.em` the blocked EM engine.  The plain engines are the
book's step functions, in :mod:`companion.kmeans` and
:mod:`companion.mixture`; the Dask engines are in :mod:`companion.distributed`.
"""

from .base import ENGINE_NAMES, EngineDeclined, check_engine
from .em import BlockedEM
from .lloyd import BlockedLloyd

__all__ = ["ENGINE_NAMES", "BlockedEM", "BlockedLloyd", "EngineDeclined", "check_engine"]
