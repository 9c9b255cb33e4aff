"""The API's models, one module per service: what the gateway validates and
documents (OpenAPI) and what the service validates again on its RPC input.

Only pydantic models and the constants they need live here (no I/O, nothing
from `services/`), so the gateway imports them without importing any
service's internals.
"""
