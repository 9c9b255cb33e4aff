"""The Idempotency-Key's wire names, one source for the gateway and the
services (gateway/idempotency.py, shared/db/idempotency.py)."""

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255  # API.md
REPLAYED_HEADER = "Idempotent-Replayed"
# The RPC context entry (nameko header `nameko.idempotency_key`) carrying the key.
CONTEXT_ENTRY = "idempotency_key"
