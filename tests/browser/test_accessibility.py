"""Accessibility: axe-core finds nothing on the chat's pages, in every state
the browser tests reach, nor on any page of the docs site, in the light and
the dark colour scheme (one test per docs page).

axe-core runs in the page (harness/axe_core.py: the copy kept in the tests,
nothing is fetched) with the WCAG 2.0 and 2.1 A and AA rules and its best
practices. A failure names the rule, the element (a CSS selector) and
the page and state it was found in.
"""
import re
from collections import Counter
from typing import NamedTuple

import pytest
from playwright.sync_api import expect

from harness import axe_core
from docs_pages import DOCS_PAGES

SCHEMES = ["light", "dark"]
MOST_LISTED = 40  # violations listed in a failure; the rest are counted
TIMEOUT_MS = 5000  # for each page to load and draw


class Problem(NamedTuple):
    where: str  # the page, its state and scheme
    rule: str  # axe's rule id, e.g. color-contrast
    impact: str  # minor, moderate, serious or critical
    element: str  # a CSS selector of the element
    reason: str

    def __str__(self):
        return (f"{self.where}: {self.rule} ({self.impact}) at "
                f"{self.element}: {self.reason}")


def violations(page, where):
    """A Problem for each element that breaks an axe rule on `page`."""
    found = []
    for rule in axe_core.run(page):
        for node in rule["nodes"]:
            element = " >>> ".join(  # the parts of a selector into a frame
                " ".join(part) if isinstance(part, list) else part
                for part in node["target"])
            # The summary's first line is its heading ("Fix any of the
            # following:"); the next one says what is wrong.
            reason = (node.get("failureSummary") or "").splitlines()[1:2]
            found.append(Problem(where, rule["id"], rule["impact"], element,
                                 " ".join(reason).strip() or rule["help"]))
    return found


def report(found, what):
    """The failure message: how many of each rule, then the first ones."""
    rules = Counter(problem.rule for problem in found)
    more = len(found) - MOST_LISTED
    return (f"axe-core found {len(found)} accessibility problems on {what} ("
            + ", ".join(f"{rule}: {count}" for rule, count in rules.items())
            + "; each rule is explained at "
            "https://dequeuniversity.com/rules/axe/):\n"
            + "\n".join(str(problem) for problem in found[:MOST_LISTED])
            + (f"\n... and {more} more" if more > 0 else ""))


# The chat's pages, on every checkpoint.

# A phone held sideways: a few lines fill the message list, which then
# scrolls, and a keyboard can only scroll what takes the focus.
PHONE_SIDEWAYS = {"width": 640, "height": 360}
MOST_MESSAGES = 8  # sent to fill it: fewer than the rate limit's burst (10)


def check_both_schemes(page, state):
    """The page as it is now, checked in the light and the dark scheme."""
    page.wait_for_load_state("load")  # as a visitor sees it: with its styles
    found = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        found += violations(page, f"{state}, {scheme} scheme")
    page.emulate_media(color_scheme=None)
    return found


def scrolls(element):
    return element.evaluate("list => list.scrollHeight > list.clientHeight")


# Part 4's steps serve the same page files as part 3 and change the server
# behind them, which the real-server chat tests and tests/test_part4_scale.py
# check on every step; the finished part 4 (its page, behind nginx) is here.
@pytest.mark.step(1)
@pytest.mark.only_finished(part=4)
def test_the_chat_pages_pass_axe_in_every_state(visitor, room, part2_step):
    person = visitor("alice")
    found = check_both_schemes(person.open_start_page().page, "the start page")

    # A blank name, past the form's own checks, comes back with a reason.
    person.page.locator("form").evaluate("form => { form.noValidate = true; }")
    person.fill_form("   ", room)
    expect(person.page.get_by_role("alert"), "the start page should say why "
           'it refused a blank name, with role="alert"').to_be_visible()
    found += check_both_schemes(person.page, "the start page refusing a name")

    person.join("alice", room)
    found += check_both_schemes(person.page, "the chat page")
    if part2_step >= 3:
        person.send("Hello, room!")
        found += check_both_schemes(person.page,
                                    "the chat page after a message")
        person.page.set_viewport_size(PHONE_SIDEWAYS)
        message_list = person.page.locator("#messages")
        for number in range(1, MOST_MESSAGES + 1):
            if scrolls(message_list):
                break
            person.send(f"message {number}")
        assert scrolls(message_list), (
            f"#messages should scroll once the conversation is longer than "
            f"a {PHONE_SIDEWAYS} window: after {MOST_MESSAGES} messages it "
            "does not, so this test no longer sees a long conversation")
        found += check_both_schemes(
            person.page, "a conversation longer than a phone's screen")
    if part2_step >= 5:
        person.input.evaluate("input => input.removeAttribute('maxlength')")
        person.type_and_send("x" * 1001)
        expect(person.error, "the page should show why the server refused a "
               "message that is too long, in #error").to_be_visible()
        found += check_both_schemes(person.page,
                                    "the chat page showing a refusal")
    assert found == [], report(found, f"the chat at {person.server.url}")


# The docs site: every page, in both schemes.

# Material's scheme names, on <body data-md-color-scheme>, and the title of
# the palette toggle each scheme shows (mkdocs.yml).
MATERIAL_SCHEME = {"light": "default", "dark": "slate"}
SWITCH_TO = {"dark": "Switch to dark mode", "light": "Switch to light mode"}
# The part pages hold tens of thousands of highlighted code tokens in a few
# dozen looks: axe walks every element for every rule, and its
# color-contrast rule measures each one with text. Of the tokens that look
# alike in both schemes (colour, font, and every background and opacity
# behind them) one stays and the others become plain text in their block
# (the text and the layout stay as they were): they would measure the same,
# and axe has a tenth of the elements to walk.
# The looks are read in each scheme by setting Material's attribute for a
# moment (a restyle, with no layout): switching the whole page, opened,
# would lay out every token again (6 s for exercises-part2.html). All are
# read before any token is changed, as a change makes the browser lay the
# page out again for the next read.
ONE_TOKEN_OF_EACH_LOOK = """(schemes) => {
  const tokens = [...document.querySelectorAll(
    ".highlight code span:not(:has(*))")];
  const looks = tokens.map(() => "");
  const shown = document.body.dataset.mdColorScheme;
  for (const scheme of schemes) {
    document.body.dataset.mdColorScheme = scheme;
    const behind = new Map();
    const backgrounds = (element) => {
      if (!element) return "";
      if (!behind.has(element)) {
        const style = getComputedStyle(element);
        behind.set(element, backgrounds(element.parentElement) + "|"
          + style.backgroundColor + style.backgroundImage + style.opacity);
      }
      return behind.get(element);
    };
    tokens.forEach((token, index) => {
      const style = getComputedStyle(token);
      looks[index] += [scheme, style.color, style.fontSize, style.fontWeight,
                       style.textShadow, backgrounds(token)].join(" ");
    });
  }
  document.body.dataset.mdColorScheme = shown;
  const kept = new Set();
  tokens.forEach((token, index) => {
    if (kept.has(looks[index])) {
      token.replaceWith(token.textContent);
    } else {
      kept.add(looks[index]);
    }
  });
  for (const code of document.querySelectorAll(".highlight code")) {
    code.normalize();  // the text pieces joined again
  }
}"""


PAGE_LOAD_MS = 30_000


def test_every_page_of_the_site_is_checked(site):
    assert sorted(site.pages) == DOCS_PAGES, (
        "the pages of the built site should be the docs' Markdown files and "
        f"404.html, each checked below: the site has {site.pages}")


@pytest.mark.parametrize("name", DOCS_PAGES)
def test_every_docs_page_passes_axe(browser, site, name):
    # A new visitor whose browser asks for the light scheme; the dark one
    # is then chosen with Material's palette toggle, which gives the page
    # the same state as a visitor whose browser asks for dark (one load
    # instead of two).
    context = browser.new_context(color_scheme="light")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(axe_core.SCRIPT)  # no injection per check
    blocked = []
    context.route(re.compile(rf"^(?!{re.escape(site.url)}/)"),
                  lambda route: (blocked.append(route.request.url),
                                 route.abort("blockedbyclient")))
    try:
        page = context.new_page()
        # A long page (part 4's, with its diagrams and the bundled
        # Mermaid) can take more than the default on a busy machine.
        page.goto(f"{site.url}/{name}", timeout=PAGE_LOAD_MS)
        expect_scheme(page, name, "light")
        expect(page.locator("pre.mermaid"), f"{name}: Mermaid should draw "
               "every diagram").to_have_count(0)
        # Folded blocks (solutions, lines to delete) opened, so their
        # contents are checked too.
        page.evaluate("document.querySelectorAll('details')"
                      ".forEach(details => { details.open = true; })")
        page.evaluate(ONE_TOKEN_OF_EACH_LOOK, list(MATERIAL_SCHEME.values()))
        switch_scheme(page, name, "dark")
        found = violations(page, f"{name}, dark scheme")
        switch_scheme(page, name, "light")
        found += violations(page, f"{name}, light scheme")
    finally:
        context.close()
    assert blocked == [], f"{name} asked for other hosts: {blocked}"
    assert found == [], report(found, f"{name}, in both schemes")


def expect_scheme(page, name, scheme):
    expect(page.locator("body"), f"{name} should be shown in Material's "
           f"{scheme} palette").to_have_attribute(
        "data-md-color-scheme", MATERIAL_SCHEME[scheme])


def switch_scheme(page, name, scheme):
    """Switch with the palette toggle, as a visitor does, and ask for the
    scheme as their browser would. The toggle is clicked from the page's
    script: a click from Playwright waits for the page to take input, which
    a long page, restyled, may not do within the timeout."""
    page.emulate_media(color_scheme=scheme)
    toggle = page.get_by_title(SWITCH_TO[scheme])
    expect(toggle, f"{name} should show Material's palette toggle, "
           f"{SWITCH_TO[scheme]!r}").to_be_visible()
    toggle.evaluate("label => label.click()")
    expect_scheme(page, name, scheme)
    # A new visitor's page has nothing focused.
    page.evaluate("document.activeElement.blur()")
