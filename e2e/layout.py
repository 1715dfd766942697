"""Layout checks on a Playwright page: the page grid, sideways scrolling, what a sticky strip covers."""

from __future__ import annotations

_GRID = """() => {
  const box = element => { const r = element.getBoundingClientRect(); return [Math.round(r.left), Math.round(r.width)]; };
  return {main: box(document.querySelector('main')),
          header: box(document.querySelector('header .usa-nav-container')),
          footer: box(document.querySelector('footer .grid-container'))};
}"""

# Elements of the main content that reach past the window's right edge; with `scrollBoxes`, not those inside a
# box of their own that scrolls sideways and itself fits (a wide staff table may scroll in its box).
_OVERFLOW = """(scrollBoxes) => {
  const width = document.documentElement.clientWidth;
  const main = document.querySelector('main');
  const inScrollBox = element => {
    for (let box = element.parentElement; box && box !== main; box = box.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(box).overflowX)
          && box.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const outside = [...main.querySelectorAll('*')].filter(element => {
    const r = element.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && element.checkVisibility() && !element.closest('.usa-sr-only') && !(scrollBoxes && inScrollBox(element));
  });
  const name = element => element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
    + (typeof element.className === 'string' && element.className.trim() ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
  return {scrollWidth: document.documentElement.scrollWidth, width: width, outside: outside.slice(0, 5).map(name)};
}"""


def grid_problems(page) -> list[str]:
    """The main content must sit in the same page grid as the header and the footer (same left edge and
    width), whatever the page: a page that widens or shifts its own container breaks out of it."""
    boxes = page.evaluate(_GRID)
    if boxes["main"] == boxes["header"] == boxes["footer"]:
        return []
    return [f"main content at (left, width) {boxes['main']}, header {boxes['header']}, footer {boxes['footer']}"]


def overflow_problems(page, scroll_boxes: bool = True) -> list[str]:
    """Nothing may make the page scroll sideways: the document is no wider than the window, and no element of
    the main content reaches past its right edge. With `scroll_boxes`, an element inside a box that scrolls
    sideways on its own (a wide table) is allowed; without, everything must be in view (e.g. amounts)."""
    found = page.evaluate(_OVERFLOW, scroll_boxes)
    if found["scrollWidth"] <= found["width"] and not found["outside"]:
        return []
    return [f"{found['scrollWidth']} px wide in a {found['width']} px window; past the edge: {found['outside']}"]
