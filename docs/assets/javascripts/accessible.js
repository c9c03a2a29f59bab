// What Material for MkDocs' markup lacks for keyboards and screen readers
// (tests/browser/test_accessibility.py checks every page with axe-core).
"use strict";

// A table wider than the page scrolls inside its wrapper: a keyboard can
// only scroll it once the wrapper takes the focus. Only a table that
// scrolls gets a tab stop, so the others cost a keyboard user nothing.
function letScrollingTablesTakeFocus() {
  const wrappers = document.querySelectorAll(".md-typeset__scrollwrap");
  for (const wrapper of wrappers) {
    if (wrapper.scrollWidth > wrapper.clientWidth) {
      wrapper.setAttribute("tabindex", "0");
    } else {
      wrapper.removeAttribute("tabindex");
    }
  }
}

// Material puts the copy button of each code block in a <nav>: a page with
// ten code blocks lists ten unnamed navigation landmarks that lead nowhere.
// role="none" keeps the button and leaves the landmarks to the real menus.
function unlistCodeNavigation() {
  for (const nav of document.querySelectorAll("nav.md-code__nav")) {
    nav.setAttribute("role", "none");
  }
}

function improvePage() {
  // The search box opens as a dialog, which needs a name.
  const search = document.querySelector(".md-search[role='dialog']");
  if (search) {
    search.setAttribute("aria-label", "Search");
  }
  unlistCodeNavigation();
  letScrollingTablesTakeFocus();
}

// Material adds each code block's navigation from its own script, when the
// page has loaded: mark every one as it appears.
new MutationObserver(() => unlistCodeNavigation()).observe(
  document.body, {childList: true, subtree: true});
window.addEventListener("resize", letScrollingTablesTakeFocus);
// Material's document$ announces every page it shows (with its instant
// loading too); without it, this page is the only one.
if (window.document$) {
  window.document$.subscribe(improvePage);
} else {
  improvePage();
}
