"""What every browser journey does at each step: keep a screenshot, check that the page reflows
at 320 pixels wide, and run axe on the page."""

import re
import time
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

# WCAG 2.0, 2.1 and 2.2, levels A and AA: what UK public-sector services are held to.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Passing ``options`` replaces axe's defaults, so ``resultTypes`` is repeated here.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

_axe = Axe()

#: WCAG 1.4.10 (reflow): content fits 320 CSS pixels wide, what 1280 pixels are at 400% zoom,
#: without scrolling sideways.
REFLOW_WIDTH = 320


def describe_violations(url: str, violations: list[dict]) -> str:
    """The violations on one page, readable in a CI log."""
    lines = [f"{url}:"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    - {' '.join(node['target'])}: {node['failureSummary']!r}")
    return "\n".join(lines)


def _sticking_out(page: Page) -> list[str]:
    """The first few elements whose box reaches past the right edge of the window, to say why."""
    return page.evaluate(
        """(width) => [...document.body.querySelectorAll("*")]
          .filter((element) => element.getBoundingClientRect().right > width + 0.5)
          .slice(0, 5)
          .map((element) => element.tagName.toLowerCase()
            + (element.className && typeof element.className === "string"
               ? "." + element.className.trim().split(/\\s+/).join(".") : ""))""",
        REFLOW_WIDTH,
    )


class Journey:
    """One person's walk through the portal in one browser context.

    ``step(name)`` keeps a screenshot (``<journey>-<js|nojs>-<nn>-<name>.png``), checks that the
    page fits 320 pixels wide without scrolling sideways (another screenshot,
    ``…-320px.png``), and runs axe on the page; the problems of every page are gathered and
    ``assert_accessible()`` fails the test with all of them listed, so one run shows every
    problem.
    """

    def __init__(self, page: Page, name: str, artifacts: Path, auditor: Page | None = None) -> None:
        self.page = page
        self.auditor = auditor
        self.name = name
        self.artifacts = artifacts
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.steps = 0
        self.problems: list[str] = []
        self.checked: list[str] = []

    def step(self, label: str, *, axe: bool = True) -> None:
        """Record this page: a screenshot, and (for the portal's own pages) an axe run."""
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.page.screenshot(
            path=self.artifacts / f"{self.name}-{self.steps:02d}-{slug}.png", full_page=True
        )
        if not axe:
            return
        self._check_reflow(label, slug)
        results = _axe.run(self._page_to_audit(), options=AXE_OPTIONS)
        self.checked.append(self.page.url)
        violations = results.response["violations"]
        if violations:
            self.problems.append(describe_violations(f"{label} ({self.page.url})", violations))

    def _check_reflow(self, label: str, slug: str) -> None:
        """Narrow the window to 320 pixels, note any page wider than that (and what sticks out),
        keep a screenshot at that width, and widen the window again."""
        page = self.page
        wide = page.viewport_size
        page.set_viewport_size({"width": REFLOW_WIDTH, "height": wide["height"]})
        try:
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > REFLOW_WIDTH:
                self.problems.append(
                    f"{label} ({page.url}): {width} pixels wide at {REFLOW_WIDTH}, so it scrolls "
                    f"sideways; wider than the window: {', '.join(_sticking_out(page))}"
                )
            page.screenshot(
                path=self.artifacts / f"{self.name}-{self.steps:02d}-{slug}-320px.png",
                full_page=True,
            )
        finally:
            page.set_viewport_size(wide)

    def _page_to_audit(self) -> Page:
        """The page axe can run on.

        With JavaScript disabled axe's promises never settle in the page itself, so the page's
        HTML, exactly as this browser has it, is shown in a second page that allows only axe:
        the same address (so the same style sheets load) with every page script refused by a
        CSP of ``script-src 'none'`` (axe is injected through the DevTools protocol, which the
        CSP does not govern).
        """
        if self.auditor is None:
            return self.page
        url, html = self.page.url, self.page.content()

        def fulfil(route) -> None:
            route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": "script-src 'none'"},
                body=html,
            )

        def this_page(address: str) -> bool:
            return address == url

        self.auditor.route(this_page, fulfil)
        try:
            self.auditor.goto(url)
        finally:
            self.auditor.unroute(this_page, fulfil)
        return self.auditor

    def assert_accessible(self) -> None:
        assert not self.problems, (
            "WCAG A/AA problems (axe's, and pages that do not reflow at 320 pixels):\n"
            + "\n".join(self.problems)
        )

    # -- common steps ----------------------------------------------------------------------------

    def goto(self, path: str, label: str) -> None:
        response = self.page.goto(path)
        status = response.status if response else None
        assert response is not None and response.ok, f"{path} answered {status}"
        self.step(label)

    def click(self, name: str, *, role: str = "button") -> None:
        """Press a button (or follow a link) by its accessible name and wait for the next page."""
        self.page.get_by_role(role, name=name, exact=True).first.click()
        self.page.wait_for_load_state()

    def sign_in(self, email: str, password: str, shared: dict | None = None) -> None:
        """Sign in, giving a two-factor code (from TOTP) if the portal asks for one."""
        self.page.goto("/sign-in")
        self.step("sign in")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.locator("main").get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        self.two_factor(shared if shared is not None else {})
        expect(self.page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    def two_factor(self, shared: dict) -> None:
        """Answer the two-factor pages if this page is one: set it up (administrators must),
        reading the secret the page shows, or enter the code for the secret set up before."""
        path = self.page.url.split("?")[0]
        if path.endswith("/account/two-factor"):
            self.step("two-factor set-up")
            shown = self.page.locator("[data-secret]")
            text = shown.first.inner_text() if shown.count() else self.page.inner_text("main")
            # A base32 secret (A-Z, 2-7), perhaps shown in groups of four.
            found = re.findall(r"(?:[A-Z2-7]{4} ?){4,}", text)
            assert found, "the two-factor set-up page shows no secret"
            shared["totp_secret"] = re.sub(r"\s", "", max(found, key=len))
            self._submit_code(shared)
            self.step("two-factor recovery codes")
        elif path.endswith("/sign-in/two-factor"):
            assert "totp_secret" in shared, "asked for a two-factor code before one was set up"
            self.step("two-factor code")
            self._submit_code(shared)

    def _submit_code(self, shared: dict) -> None:
        import pyotp

        totp = pyotp.TOTP(shared["totp_secret"])
        # A code is accepted once: wait for the next 30-second step if this one was used.
        step = int(time.time() // 30)
        if shared.get("totp_step") == step:
            time.sleep(30 - time.time() % 30 + 0.5)
            step = int(time.time() // 30)
        shared["totp_step"] = step
        self.page.locator("main input[name=code]").fill(totp.now())
        self.page.locator("main form:has(input[name=code]) [type=submit]").click()
        self.page.wait_for_load_state()
        errors = self.page.locator(".govuk-error-summary")
        assert not errors.count(), f"the two-factor code was refused: {errors.inner_text()}"
