"""The history recorder shared by every fit.

Every fit of :mod:`companion` keeps the same kind of record: one array per
recorded quantity, with the iteration on axis 0 and entry 0 the
initialisation (as emcee's backends keep a chain).  :class:`Recorder`
collects the values of each iteration and stacks them once at the end into
the fit's frozen history class.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Recorder"]


class Recorder:
    """Per-iteration values of a fit; entry 0 is the initialisation.

    >>> rec = Recorder(objective=3.0, n_changed=5)
    >>> rec.append(objective=2.0, n_changed=0)
    >>> rec.arrays()["objective"].tolist(), rec.last("n_changed"), len(rec)
    ([3.0, 2.0], 0, 2)
    """

    def __init__(self, **initial):
        self._values = {name: [value] for name, value in initial.items()}

    def append(self, **values):
        """Record one iteration: a value for every quantity given at construction."""
        if values.keys() != self._values.keys():
            raise KeyError(f"expected {sorted(self._values)}; got {sorted(values)}")
        for name, value in values.items():
            self._values[name].append(value)

    def last(self, name):
        """The most recent value of ``name``."""
        return self._values[name][-1]

    def __len__(self):
        return len(next(iter(self._values.values())))

    def arrays(self, **transforms):
        """Every quantity stacked along a new axis 0; ``transforms[name]`` maps a stacked array."""
        out = {name: np.asarray(values) if np.ndim(values[0]) == 0 else np.stack(values)
               for name, values in self._values.items()}
        for name, fn in transforms.items():
            out[name] = fn(out[name])
        return out

    def build(self, history_class, **transforms):
        """The frozen history: ``history_class(**arrays)``."""
        return history_class(**self.arrays(**transforms))
