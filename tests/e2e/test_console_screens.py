"""Every page of the console's nav on a phone (360 and 390 px) and on a laptop (1366 px), in
real headless Chromium: no page scrolls sideways, every nav link can be reached (behind the
menu button on a phone) and reads at WCAG AA contrast on the header, and nothing the page
asks for is missing (the favicon). A screenshot of each page at each width is kept in
`test-artifacts/` (`console-<width>-<page>.png`).

The board's refresh is watched here too: an order placed while the board is open appears
on it without a reload.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, PASSWORD, add_staff, log_in
from tests.sms_phones import Phones

CUSTOMER, COURIER = "+6281234567890", "+6281311110001"

# The contrast of a link against the nearest background drawn behind it (WCAG 2's formula).
CONTRAST = """
link => {
  const parse = text => {
    const [r, g, b, a = 1] = text.match(/[\\d.]+/g).map(Number);
    return { r, g, b, a };
  };
  const channel = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const luminance = ({ r, g, b }) =>
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  let background = { r: 255, g: 255, b: 255 };
  for (let node = link; node; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour.a > 0) { background = colour; break; }
  }
  const [light, dark] = [luminance(parse(getComputedStyle(link).color)), luminance(background)]
    .sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}
"""

# The link's box lies inside the header's (a link that spills out of the green header is
# white on the page's near-white) and inside the window.
INSIDE_HEADER = """
link => {
  const box = link.getBoundingClientRect();
  const header = link.closest("header").getBoundingClientRect();
  return box.width > 0 && box.top >= header.top && box.bottom <= header.bottom
    && box.left >= 0 && box.right <= window.innerWidth;
}
"""

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

# What spills out of the page's column (a wide table scrolls inside its own `.wide` box).
SPILLS = """
() => {
  const main = document.querySelector("main").getBoundingClientRect();
  return [...document.querySelectorAll("main *")]
    .filter(el => !el.closest(".wide") && el.getClientRects().length)
    .filter(el => el.getBoundingClientRect().right > main.right + 1)
    .map(el => `${el.tagName.toLowerCase()}.${el.className}`);
}
"""


@pytest.fixture
def busy_site(site):
    """The demo site with an admin, a courier, and an order on the board and in the messages."""
    url, app = site
    add_staff(app, "kadek", "admin")
    phones = Phones(app)
    phones.add_courier(COURIER, "Pak Made Wirawan Putra", ready=False)
    phones.order_by_sms(CUSTOMER, lines="B04 2, B06 1")
    return url, app


@pytest.mark.parametrize("width", [360, 390, 1366])
def test_every_page_of_the_nav_fits_the_screen_and_its_links_can_be_reached(
    browser, busy_site, width
):
    url, _ = busy_site
    page = browser.new_page(viewport={"width": width, "height": 800})
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    log_in(page, url, "kadek")
    links = page.eval_on_selector_all(
        "header nav a", "links => links.map(a => [a.textContent.trim(), a.getAttribute('href')])"
    )
    assert [name for name, _ in links] == [
        "Cari penelepon",
        "Pesanan baru",
        "Papan kurir",
        "Pesan SMS",
        "Hari ini sekilas",
        "Buku harian",
        "Daftar",
        "Petugas",
        "Simulator",
    ]
    pages = [
        *links,
        ("Penelepon", "/console/callers?phone=081234567890"),
        ("Percakapan SMS", "/console/messages/thread?phone=081234567890"),
    ]
    for name, path in pages:
        page.goto(f"{url}{path}")
        page.wait_for_load_state("load")
        slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
        page.screenshot(path=str(ARTIFACTS / f"console-{width}-{slug}.png"), full_page=True)
        assert page.evaluate(SIDEWAYS) <= 0, f"{name} scrolls sideways at {width} px"
        assert page.evaluate(SPILLS) == [], f"{name} spills out of its column at {width} px"

        button = page.locator("#menu-button")
        if width < 960:
            assert page.locator("header nav a").first.is_hidden()  # folded until asked for
            button.click()
            assert button.get_attribute("aria-expanded") == "true"
        else:
            assert button.is_hidden()
        for link in page.locator("header nav a").all():
            assert link.is_visible(), f"{link.text_content()} on {name} at {width} px"
            assert link.evaluate(INSIDE_HEADER), f"{link.text_content()} outside the header"
            assert link.evaluate(CONTRAST) >= 4.5, f"{link.text_content()} is hard to read"
        if width < 960:
            page.screenshot(path=str(ARTIFACTS / f"console-{width}-{slug}-menu.png"))
            button.click()
            assert page.locator("header nav a").first.is_hidden()
    assert missing == []


def test_without_javascript_a_phone_still_reaches_every_link(browser, busy_site):
    url, _ = busy_site
    context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{url}/console/login")
    page.fill("input[name=username]", "kadek")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("h1:has-text('Cari penelepon')")
    assert page.locator("#menu-button").is_hidden()  # nothing to press without the script
    links = page.locator("header nav a").all()
    assert len(links) == 9 and all(link.is_visible() for link in links)
    assert page.evaluate(SIDEWAYS) <= 0
    context.close()


def test_the_board_refreshes_itself_with_a_new_order(browser, busy_site):
    url, app = busy_site
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.clock.install()  # the board's 10-second timer, moved on by the test
    log_in(page, url, "kadek")
    page.goto(f"{url}/console/board")
    assert page.locator("#board tr[data-number]").count() == 1

    number = Phones(app).order_by_sms("+6281234567891", lines="B04 1")
    page.clock.run_for(10_500)
    row = page.locator(f"#board tr[data-number='{number}']")
    row.wait_for()
    assert page.locator("#board tr[data-number]").count() == 2
    assert "0812-3456-7891" in row.text_content()  # the new caller, whole for an admin
    assert page.evaluate(SIDEWAYS) <= 0  # the new card fits too
    page.screenshot(path=str(ARTIFACTS / "console-390-board-refreshed.png"), full_page=True)
