"""Pure wire protocol of threadloom: resource shapes, request bodies, encoding, errors.

Nothing here does I/O; `actors/` and `server/` build on it.
"""
