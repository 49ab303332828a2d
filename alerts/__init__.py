"""Routing, lifecycle, outbox and delivery of alerts (the alerting issue builds this package)."""
