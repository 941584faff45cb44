"""Benchmarks of :mod:`companion` against scikit-learn, run with ``python -m benchmarks``.

Both libraries are fitted from the same initial parameters, in the same
process, alternately, over several repeats; the report gives medians, the
ratio companion / scikit-learn, the peak memory of each fit and whether both
reached the same result.  See ``benchmarks/README.md`` for the method.
"""
