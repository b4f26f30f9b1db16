"""The fleet's processes: `hub` (chat side) and `host` (one per gateway), joined by NATS.

`core/fleet/` holds what they decide; this package holds the connection, the threads and the
settings. docs/fleet.md has the picture and the broker setup.
"""
