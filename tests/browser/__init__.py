"""Browser tests: Playwright for Python driving Debian's Chromium against the live server."""
