"""Many gateways behind one chat app: a hub (chat side) and one host per gateway, over NATS.

Transport-free pieces live here (subject names, the wire format, sealing a pasted secret to a
host, routing a command to hosts, applying a host's alert events at the hub); the NATS plumbing
and the processes are in `bot/fleet/`. docs/fleet.md has the picture.
"""
