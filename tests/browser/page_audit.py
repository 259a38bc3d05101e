"""What every generated page must pass, checked in the browser on the page as it is shown.

`problems(page)` answers a list of sentences, empty when the page is fine: the page is no
wider than the viewport (naming the elements that stick out), every visible form control
has a visible label, every clickable target is at least 24×24 CSS px (WCAG 2.2), and
axe-core finds no violation of the WCAG 2.x A and AA rules (naming each rule and the
selectors of its elements).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = (
    f"axe-core is not installed: {AXE} is missing. Run `npm ci --prefix tests/browser` "
    "(the version is pinned in tests/browser/package-lock.json), then run the tests again."
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

AUDIT = Path(__file__).resolve().parent / "page_audit.js"


def problems(page: Page) -> list[str]:
    """Everything wrong with the page as shown, one sentence each. The page's context
    adds AUDIT and AXE as init scripts (BrowserContext.add_init_script), which run
    whatever the page's Content-Security-Policy says."""
    assert AXE.exists(), AXE_MISSING
    loaded = page.evaluate("() => Boolean(window.formworkAudit && window.axe)")
    assert loaded, f"the page's context must add {AUDIT.name} and axe-core as init scripts"
    found = page.evaluate("() => formworkAudit.overflow()")
    found += page.evaluate("() => formworkAudit.unlabelled()")
    found += page.evaluate("() => formworkAudit.smallTargets()")
    found += page.evaluate("(tags) => formworkAudit.axeViolations(tags)", WCAG_TAGS)
    return found
