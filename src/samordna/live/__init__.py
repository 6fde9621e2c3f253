"""Live boards (DESIGN.md §15): committed measure changes carried to the open pages of their area as Server-Sent
Events, through Litestar Channels; each viewer hears only of what the pages would show them."""
