// What Material for MkDocs' markup lacks for keyboards and screen readers
// (tests/browser/test_accessibility.py checks every page with axe-core).
"use strict";

// A table or a diagram wider than the page scrolls inside its own box
// (layout.css): a keyboard can only scroll it once the box takes the focus.
// Only a box that scrolls gets a tab stop, so the others cost a keyboard
// user nothing. Material draws a diagram after the page has loaded, into a
// <div class="mermaid"> that replaces the <pre class="mermaid">.
const SCROLLING_BOXES = ".md-typeset__scrollwrap, .md-typeset div.mermaid";

function letScrollingBoxesTakeFocus() {
  for (const box of document.querySelectorAll(SCROLLING_BOXES)) {
    if (box.scrollWidth > box.clientWidth) {
      box.setAttribute("tabindex", "0");
    } else {
      box.removeAttribute("tabindex");
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
  letScrollingBoxesTakeFocus();
}

// Material adds each code block's navigation and each diagram from its own
// script, when the page has loaded: handle every one as it appears.
new MutationObserver((changes) => {
  unlistCodeNavigation();
  const drawn = changes.some((change) => [...change.addedNodes].some(
    (node) => node.matches && node.matches("div.mermaid")));
  if (drawn) {
    letScrollingBoxesTakeFocus();
  }
}).observe(document.body, {childList: true, subtree: true});
window.addEventListener("resize", letScrollingBoxesTakeFocus);
// Material's document$ announces every page it shows (with its instant
// loading too); without it, this page is the only one.
if (window.document$) {
  window.document$.subscribe(improvePage);
} else {
  improvePage();
}
