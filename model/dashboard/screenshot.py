"""The README's picture of the dashboard, made by one command and by nothing else.

`parksim dashboard --screenshot PATH` starts the server, raises the HTE award (P6c) to the
slider's top in Debian's Chromium (driven by Playwright), waits until the numbers belong to
the new setting, writes the page to PATH (a temp file renamed at the end; an existing PATH is
replaced only with --overwrite, model.outputs) and stops. The
browser test uses `raise_award` too, so the picture shows the state the test checks, but the
test writes its own screenshot to a temporary directory: a test run must not change the
committed results/dashboard/screenshot.png.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from model.outputs import OutputFile

CHROMIUM = "/usr/bin/chromium"  # Playwright cannot download a browser here; `.ci/run` installs it
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 1500}  # the size of the committed picture
TIMEOUT = 240_000  # ms: a first answer on a busy 2-core machine (~2 s when idle)
SETTING = "P6c.award = 80.0"  # what the page writes for the slider's top (4 x the text's 20 万元)


def browser_missing() -> str | None:
    """Why the browser cannot be driven here, or None when it can."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} not found (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def _percent(text: str) -> float:
    return float(re.search(r"(\d+)%", text).group(1)) / 100


def _money(text: str) -> float:
    return float(re.search(r"([\d,]+)", text).group(1).replace(",", ""))


def wait_for(page, setting: str) -> None:
    """Until the shown numbers are those of `setting` (the changes from the base, as the page
    writes them): each key figure carries the setting it was computed for."""
    for testid in ("pmet-T1", "cost"):
        page.wait_for_selector(f"[data-testid={testid}][data-for='{setting}']",
                               timeout=TIMEOUT)


@dataclass(frozen=True)
class AwardMove:
    """P(T1 met) and the policy's cost (万元) before and after the move."""

    p0: float
    c0: float
    p1: float
    c1: float


def raise_award(page, url: str) -> AwardMove:
    """Open the dashboard, move the P6c award slider to its top by keyboard, and wait until
    the numbers shown are those of the new setting."""
    page.goto(url)
    wait_for(page, "")
    p0 = _percent(page.inner_text("[data-testid=pmet-T1]"))
    c0 = _money(page.inner_text("[data-testid=cost]"))
    slider = page.locator("[data-testid='lever-P6c.award'] [role=slider]")
    slider.focus()
    slider.press("End")
    wait_for(page, SETTING)
    p1 = _percent(page.inner_text("[data-testid=pmet-T1]"))
    c1 = _money(page.inner_text("[data-testid=cost]"))
    return AwardMove(p0, c0, p1, c1)


def capture(place: OutputFile, url: str) -> AwardMove:
    """Write the dashboard at `url`, after the award move, to the checked output file
    `place` (model.outputs.prepare_file) as a PNG."""
    from playwright.sync_api import sync_playwright

    tmp = place.temp(".png")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport=VIEWPORT)
                move = raise_award(page, url)
                page.screenshot(path=str(tmp), type="png")
            finally:
                browser.close()
        place.commit(tmp)
    finally:
        tmp.unlink(missing_ok=True)
    return move
