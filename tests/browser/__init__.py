"""Real-browser tests of the web UI (Playwright driving Debian's Chromium)."""
