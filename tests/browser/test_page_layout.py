"""The docs site's layout, on a phone (390×844) and on a desktop (1280×800):
every page of the built site, loaded once, measured at each size (the
window resized in between).

- The page itself never scrolls sideways: what is wider than the screen (a
  table, a long line of code, a diagram) scrolls inside its own box.
- A table wider than its column scrolls inside a wrapper, and its first
  column, the one that says what a row is about, shows without scrolling.
- Code blocks fit their box on a desktop (a phone scrolls them): a long
  command is wrapped with ` \\` continuation lines, a program's output by
  the page (`{ .text .output }`).
- The text of every Mermaid diagram is at least 10 px high as drawn: the
  diagram keeps its natural size and scrolls in its box rather than shrink.

Folded blocks are opened and every tab of a tabbed block is shown first, so
what they hold is measured too.
"""
import re

import pytest
from playwright.sync_api import expect

from docs_pages import DOCS_PAGES

SIZES = {"phone": {"width": 390, "height": 844},
         "desktop": {"width": 1280, "height": 800}}
SMALLEST_TEXT_PX = 10  # a diagram's text, as drawn
# The What changed page shows the READMEs' paragraphs as diff lines: prose,
# one paragraph a line, which only a scrolling box can show as it is.
CODE_MAY_SCROLL = {"what-changed.html"}
TIMEOUT_MS = 30_000  # for a page to load and draw: seconds on a machine busy with other work

# Material draws each diagram into a *closed* shadow root, which no script
# can look into: opened here, for this test's pages only.
OPEN_SHADOW_ROOTS = """{
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, { ...init, mode: "open" });
  };
}"""

MEASURE = """() => {
  for (const details of document.querySelectorAll("details")) {
    details.open = true;
  }
  const style = document.createElement("style");
  style.textContent = ".md-typeset .tabbed-block { display: block !important; }";
  document.head.append(style);
  const found = { page: null, code: [], tables: [], diagrams: [] };
  const edge = document.scrollingElement.scrollWidth;
  if (edge > window.innerWidth) {
    found.page = `the page is ${edge} px wide in a ${window.innerWidth} px window`;
  }
  const longestLine = (text) => text.split("\\n").reduce(
    (longest, line) => line.length > longest.length ? line : longest, "");
  for (const code of document.querySelectorAll("pre > code")) {
    if (code.scrollWidth > code.clientWidth) {
      found.code.push(`${code.scrollWidth} px of code in a ${code.clientWidth} px box: `
                      + longestLine(code.textContent).slice(0, 60));
    }
  }
  const scroller = (element) => {
    for (let box = element.parentElement; box; box = box.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(box).overflowX)) return box;
    }
    return null;
  };
  const column = document.querySelector(".md-content__inner");
  const room = column ? column.clientWidth : window.innerWidth;
  for (const table of document.querySelectorAll(".md-typeset table")) {
    const header = (table.querySelector("th") || table).textContent.trim();
    if (table.offsetWidth <= room) continue;
    const box = scroller(table);
    if (!box || box.scrollWidth <= box.clientWidth) {
      found.tables.push(`the table headed "${header}" is ${table.offsetWidth} px wide `
                        + `in ${room} px and does not scroll in a box of its own`);
      continue;
    }
    const first = table.querySelector("tr > :first-child");
    if (first && first.getBoundingClientRect().right
        > box.getBoundingClientRect().right + 1) {
      found.tables.push(`the first column of the table headed "${header}" does not `
                        + "show without scrolling");
    }
  }
  for (const host of document.querySelectorAll("div.mermaid")) {
    const svg = host.shadowRoot && host.shadowRoot.querySelector("svg");
    if (!svg) continue;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    let smallest = Infinity, sample = "";
    for (const element of svg.querySelectorAll("text, foreignObject *")) {
      const own = [...element.childNodes].some(
        (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
      if (!own) continue;
      const size = parseFloat(getComputedStyle(element).fontSize) * scale;
      if (size < smallest) {
        smallest = size;
        sample = element.textContent.trim().slice(0, 40);
      }
    }
    found.diagrams.push({ smallest, sample });
  }
  return found;
}"""


@pytest.fixture(scope="module", params=DOCS_PAGES)
def measured(request, browser, site):
    """One page of the site, and {size: what MEASURE found} at each size.
    Module-scoped, so that the tests below share one load of each page."""
    name = request.param
    context = browser.new_context(viewport=SIZES["desktop"])
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(OPEN_SHADOW_ROOTS)
    context.route(re.compile(rf"^(?!{re.escape(site.url)}/)"),
                  lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    found = {}
    try:
        page.goto(f"{site.url}/{name}")
        expect(page.locator("pre.mermaid"), f"{name}: Mermaid should draw every "
               "diagram").to_have_count(0)
        for size in ("desktop", "phone"):
            page.set_viewport_size(SIZES[size])
            found[size] = page.evaluate(MEASURE)
    finally:
        context.close()
    return name, found


def on_a(size):
    return f"on a {size} ({SIZES[size]['width']} px)"


def test_no_page_scrolls_sideways(measured):
    name, found = measured
    problems = [f"{on_a(size)}: {result['page']}" for size, result in found.items()
                if result["page"]]
    assert problems == [], f"{name}:\n" + "\n".join(problems)


def test_wide_tables_scroll_in_their_box_with_the_first_column_in_view(measured):
    name, found = measured
    problems = [f"{on_a(size)}: {problem}" for size, result in found.items()
                for problem in result["tables"]]
    assert problems == [], f"{name}:\n" + "\n".join(problems)


def test_code_fits_its_box_on_a_desktop(measured):
    """On a phone, code scrolls in its box."""
    name, found = measured
    problems = [] if name in CODE_MAY_SCROLL else found["desktop"]["code"]
    assert problems == [], (
        f"{name}: {len(problems)} code blocks are wider than their box "
        f"{on_a('desktop')} (wrap a command with ` \\` continuation lines, mark a "
        "program's output `{ .text .output }`):\n" + "\n".join(problems))


def test_diagram_text_is_at_least_10_px(measured, site):
    name, found = measured
    expected = (site.folder / name).read_text().count('class="mermaid"')
    problems = []
    for size, result in found.items():
        diagrams = result["diagrams"]
        assert len(diagrams) == expected, (
            f"{name}: {expected} diagrams in the page, {len(diagrams)} drawn and measured")
        problems += [f"{on_a(size)}: text {diagram['smallest']:.1f} px high "
                     f"(\"{diagram['sample']}\")"
                     for diagram in diagrams if diagram["smallest"] < SMALLEST_TEXT_PX]
    assert problems == [], (f"{name}: diagram text smaller than {SMALLEST_TEXT_PX} px:\n"
                            + "\n".join(problems))


def test_the_site_has_diagrams_to_measure(site):
    drawn = sum(page.read_text().count('class="mermaid"')
                for page in site.folder.rglob("*.html"))
    assert drawn > 0, "no page has a diagram: the diagram test measures nothing"
