"""Helpers the tests (and some benchmarks) share: data paths, sample scenarios, map layers, a PostgreSQL server.

Imported as ``tests.support.<module>``; the fixtures built on them are in ``tests/conftest.py``.
"""
