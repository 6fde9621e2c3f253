"""Meetings of an area's bodies (DESIGN.md §11): planning one meeting or a year from a rhythm, the agenda
generated from the boards, decisions that fire the measure's transitions, and the minutes."""
