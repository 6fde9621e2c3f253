"""The year around the meetings (DESIGN.md §11): the annual wheel (årshjul) with the coordinator's
milestones, and the calendar feeds (iCalendar) of each body and each user."""
