"""Debian's chromium and the flags it needs here (headless, no sandbox, no network chatter).

Shared by the browser tests (core/testing/fixtures.py) and the guide's screenshots
(docs/screenshots.py); nothing downloads a browser.
"""

import os

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
