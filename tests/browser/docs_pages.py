"""Every page of the docs site: one for each Markdown file, and Material's
404 page. The docs tests take one page each, so parallel workers share them
out (test_accessibility.py checks the built site has no other)."""
from tutorial.chain import REPO

DOCS = REPO / "docs"
DOCS_PAGES = sorted([path.relative_to(DOCS).with_suffix(".html").as_posix()
                     for path in DOCS.rglob("*.md")] + ["404.html"])
