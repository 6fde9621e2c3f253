"""Attachments: files on measures and meetings (DESIGN.md §14)."""
