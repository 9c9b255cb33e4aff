"""The data team's tool for the analytics stream: tail it, replay it, export it.

    python -m tools.datastream tail
    python -m tools.datastream replay --since 2026-03-01T00:00:00Z
    python -m tools.datastream export --from 2026-03-01 --to 2026-04-01 --format parquet --out march/

See docs/stream/README.md for the message format and its JSON Schemas.
"""
