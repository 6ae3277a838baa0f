"""Layout checks a student's phone and a teacher's projector need, shared by every lab's browser test.

    from tests.browser.layout import PHONE, PROJECTOR, layout_page, assert_fits_360, \
        assert_tap_targets, assert_tap_shows

    with layout_page(browser, live_server, PHONE, "en") as page:   # 390×844, touch
        page.goto(live_server.url + "/neuron")
        assert_fits_360(page)                          # (a) nothing scrolls sideways at 360 px
        assert_tap_targets(page)                       # (b) every control at least 44×44 px
        assert_tap_shows(page, "#step-next", ".walk-step.current")   # (c) tap → both on screen

"On screen" is measured in the viewport, below the sticky header, as a person holding the phone
(or sitting in the back row) sees it — not on a full-page screenshot.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from tests.conftest import ARTIFACTS, new_context


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    touch: bool
    projector: bool


PHONE = Screen("phone", 390, 844, touch=True, projector=False)
PROJECTOR = Screen("projector", 1920, 1080, touch=False, projector=True)
SCREENS = [PHONE, PROJECTOR]
LANGS = ["zh-TW", "en"]
TAP_MIN = 44  # px, WCAG 2.5.5 / Apple HIG / Material

# Controls a finger aims at. A radio or checkbox counts by its label (the label is what one taps);
# links inside running text are exempt (WCAG 2.5.8), so only links styled as buttons count.
_SMALL_TARGETS_JS = """(min) => {
  const seen = new Set(), small = [];
  const visible = el => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0; };
  const name = el => el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' + (el.textContent || el.value || '').trim().slice(0, 20) + '"';
  const check = el => {
    if (!el || seen.has(el) || !visible(el)) return;
    seen.add(el);
    const r = el.getBoundingClientRect();
    let w = r.width, h = r.height;
    // a ::before laid over the control with negative insets is part of its target (a 32-px ✕ that takes 44-px taps)
    const b = getComputedStyle(el, '::before');
    if (b.content !== 'none' && b.position === 'absolute') {
      const out = side => Math.max(0, -(parseFloat(b[side]) || 0));
      w += out('left') + out('right'); h += out('top') + out('bottom');
    }
    if (w < min - 0.5 || h < min - 0.5) small.push(`${name(el)} ${Math.round(r.width)}×${Math.round(r.height)}`);
  };
  const skip = el => el.closest('[hidden], .skip, .footer, .sr-only, [aria-hidden=true], .swagger-ui, svg');
  for (const el of document.querySelectorAll('button, select, input, textarea, a.button, a.pill, a.lab-link, [role=button], [data-tap]')) {
    if (skip(el) || el.type === 'hidden' || el.type === 'file' && !visible(el)) continue;
    if (el.type === 'radio' || el.type === 'checkbox') {
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      check(label || el);
    } else if (el.type === 'file') {
      continue;  // a file input is hidden behind its label-button in every lab
    } else {
      check(el);
    }
  }
  return small;
}"""

_BOX_JS = """(el) => { const r = el.getBoundingClientRect();
  const header = document.querySelector('.topbar');
  let top = header && getComputedStyle(header).position === 'sticky' ? header.getBoundingClientRect().bottom : 0;
  // a sticky bar ([data-sticky]) covers what scrolls under it, except itself and what it holds
  for (const bar of document.querySelectorAll('[data-sticky]'))
    if (!bar.contains(el) && getComputedStyle(bar).position === 'sticky') top = Math.max(top, bar.getBoundingClientRect().bottom);
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, headerBottom: Math.max(0, top),
          vh: innerHeight, vw: innerWidth}; }"""


@contextmanager
def layout_page(browser, live_server, screen: Screen, lang: str = "zh-TW"):
    """A page at `screen`'s size, in `lang`, projector mode on for the projector."""
    context = new_context(browser, width=screen.width, height=screen.height, lang=lang, touch=screen.touch)
    host = live_server.url.split("//")[1].split(":")[0]
    cookies = [{"name": "lang", "value": lang, "domain": host, "path": "/"}]
    if screen.projector:
        cookies.append({"name": "projector", "value": "1", "domain": host, "path": "/"})
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.screen = screen
    page.lang = lang
    try:
        yield page
    finally:
        external = context.guard.external
        context.close()
        assert not external, f"page requested other hosts: {external}"


def assert_fits_360(page):
    """(a) Nothing scrolls sideways: on a phone at 360 px (the narrowest common phone), and on the
    projector at its own width (projector mode's 24-px text is for a big screen, not a phone)."""
    size = page.viewport_size
    width_to_check = 360 if not getattr(page, "screen", None) or not page.screen.projector else size["width"]
    page.set_viewport_size({"width": width_to_check, "height": size["height"]})
    page.wait_for_timeout(100)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""(w) => [...document.querySelectorAll('main *')].filter(el => {
        const r = el.getBoundingClientRect(); return r.right > w + 1 && getComputedStyle(el).position !== 'fixed'
          && !el.closest('.scroll-x'); }).slice(0, 5).map(el => el.tagName + '#' + el.id + '.' + el.className)""", width_to_check)
    page.set_viewport_size(size)
    assert width <= width_to_check, f"{page.url} is {width} px wide at {width_to_check} px: {wide}"


def small_tap_targets(page) -> list[str]:
    return page.evaluate(_SMALL_TARGETS_JS, TAP_MIN)


def assert_tap_targets(page):
    """(b) Every control a finger aims at is at least 44×44 px."""
    small = small_tap_targets(page)
    assert not small, f"tap targets under {TAP_MIN} px on {page.url}: {small}"


def box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(_BOX_JS)


def in_viewport(b: dict) -> bool:
    return b["top"] >= b["headerBottom"] - 1 and b["bottom"] <= b["vh"] + 1 and b["left"] >= -1 and b["right"] <= b["vw"] + 1


def assert_on_screen(page, *selectors: str):
    """Each element lies wholly inside the viewport, below the sticky header."""
    for selector in selectors:
        b = box(page, selector)
        assert in_viewport(b), f"{selector} is not on screen on {page.url} ({page.viewport_size}): {b}"


def tap(page, selector: str):
    if page.screen.touch:
        page.locator(selector).first.tap()
    else:
        page.locator(selector).first.click()


def settle(page, ms: int = 400):
    """htmx swapped and settled, and any smooth scroll is over."""
    page.wait_for_function("document.querySelectorAll('.htmx-request, .htmx-settling, .htmx-swapping').length === 0")
    page.wait_for_timeout(ms)


def assert_tap_shows(page, control: str, result: str, shot: str | None = None):
    """(c) After the control is tapped, the control and its result are both inside the viewport."""
    tap(page, control)
    settle(page)
    if shot:
        page_shot(page, shot)
    assert_on_screen(page, control, result)


def page_shot(page, name: str):
    """The viewport as the person sees it (not the full page), saved for a person to look at."""
    return screenshot_viewport(page, f"{name}-{page.screen.name}-{page.lang}")


def screenshot_viewport(page, name: str):
    out = ARTIFACTS / "screenshots" / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=False)
    return out
