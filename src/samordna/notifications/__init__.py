"""Reminders: in-app notifications, the digest mail through an outbox, the scheduler (DESIGN.md §13)."""
