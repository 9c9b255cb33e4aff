"""The wiring of the platform: which services it runs, the deploy step
(`python -m stack.bootstrap`), the broker's topology and the pytest fixtures.

`shared/` is the code every service uses and knows no service; this package
is the one place that knows them all (tests/unit/shared/test_shared_imports.py).
"""
