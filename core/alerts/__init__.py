"""Team alerts: a watcher that turns changes in the gateway's auth state into incidents, and one
chat message per incident that is edited in place as it escalates and recovers.

- `observe`: a compact, JSON-serialisable picture of what is wrong now (from status snapshots).
- `incidents`: the persisted incident book and the transitions (open, escalate, recover, flap).
- `outbox`: in-order, rate-limited delivery per destination, with the `Notifier` port adapters fill.
- `render`: incident → Reply, with Acknowledge / Snooze / Show status buttons.
- `watcher`: when to look (file metadata every poll, snapshots only on change or deadline).
"""
