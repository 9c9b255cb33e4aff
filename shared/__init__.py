"""The project's own shared package: event contracts, messaging (outbox, inbox,
dead letters, RPC deadlines), database helpers, observability and test fixtures.

psycopg 3's default C wait loop cannot be monkey-patched by eventlet and blocks
the whole nameko process on every query (DESIGN.md, decision 9). Every nameko
process imports this package before psycopg, so the pure-Python `select` wait
function is chosen here; tests/integration/test_psycopg_under_eventlet.py
proves queries overlap.
"""
import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import warnings

# eventlet 0.41 warns on import that it is in maintenance mode; nameko 2.14
# requires it (DESIGN.md, decision 1), so the warning only adds noise to logs.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
