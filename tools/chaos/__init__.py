"""Chaos experiments against a running platform, with a ledger that follows
every accepted write to its effects. `make chaos` runs them against `make up`;
tests/e2e/test_chaos.py runs a short version in `make test`. See docs/chaos.md."""
