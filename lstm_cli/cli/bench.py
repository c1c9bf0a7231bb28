"""`lstm bench`: time the engine (being written)."""
