"""axe-core, the accessibility checker the browser tests run in a page.

axe.min.js beside this file is the one of the npm package axe-core 4.14.1
(`npm pack axe-core@4.14.1`), with its licences (axe.LICENSE, MPL-2.0, and
axe.LICENSE-3RD-PARTY); to update, replace the three files. It is kept here
rather than taken from axe-playwright-python, whose newest release (0.1.8)
ships axe-core 4.12.1: 4.14 checks a long docs page in about half the time
(4.12 spends it in the colour maths of its color-contrast rule).
"""
from pathlib import Path

SCRIPT = (Path(__file__).parent / "axe.min.js").read_text()
# The WCAG 2.0 and 2.1 A and AA rules, and axe's best practices.
RULES = {"runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"]}


def run(page, options=RULES):
    """axe's violations on `page` as it is now (the script is added to the
    page first unless a context's init script already did)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(SCRIPT)  # once for each page load
    return page.evaluate("options => axe.run(options)", options)["violations"]
