"""The web: HTTP in, HTML or JSON out. Controllers parse, make one service call and render; no SQL here."""
