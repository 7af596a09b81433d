"""What tests/conftest.py and the test suites share: paths, the simulated host, peers, runs, counters.

Imported as ``support`` (pytest.ini puts tests/ on the path) by conftest.py and the test modules alike,
so that none of them reaches into another for what they share.
"""
