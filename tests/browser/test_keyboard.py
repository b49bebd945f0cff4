"""The checkout with the keyboard alone (JavaScript on): Tab reaches each field in order, the
field with focus is visibly highlighted, and a form with mistakes moves focus to the summary of
problems (GOV.UK Frontend's error summary, started by our script under the CSP nonce)."""

import pytest
from playwright.sync_api import expect

REPORT = "/reports/transformation-in-practice"
MAX_TABS = 60


def _focused(page) -> dict:
    """What has focus now: its id, tag, text, and whether a focus style shows."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {
            id: el.id, tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || '').trim(),
            visible: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                     || style.boxShadow !== 'none'
                     || style.backgroundColor === 'rgb(255, 221, 0)',
            inSummary: !!el.closest('.govuk-error-summary'),
          };
        }"""
    )


def _tab_until(page, wanted, seen: list[dict]) -> dict:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = _focused(page)
        seen.append(focused)
        if wanted(focused):
            return focused
    pytest.fail(f"Tab never reached the element; focus went through {seen}")


@pytest.mark.parametrize("mode", ["js"], indirect=True)
def test_checkout_with_the_keyboard_alone(journey_factory):
    journey = journey_factory("keyboard")
    page = journey.page
    page.goto(REPORT)
    # Putting the PDF in the basket is not the subject here; the checkout is.
    page.get_by_role("button", name="Add PDF to basket").click()
    page.goto("/basket")
    journey.step("basket")

    seen: list[dict] = []
    _tab_until(page, lambda f: f["text"] == "Continue to checkout", seen)
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout")
    journey.step("details")

    seen = []
    fields = ["name", "email", "organisation"]
    for field in fields:
        focused = _tab_until(page, lambda f, field=field: f["id"] == field, seen)
        assert focused["visible"], f"no visible focus style on #{field}"
    order = [f["id"] for f in seen if f["id"] in fields]
    assert order == fields, f"fields reached in the order {order}"

    # Submitting with mistakes: the error summary takes focus.
    _tab_until(page, lambda f: f["text"] == "Continue", seen)
    assert seen[-1]["visible"], "no visible focus style on the Continue button"
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    journey.step("error summary has focus")

    # The summary's links lead to the fields; fill them in by keyboard and go on.
    page.keyboard.press("Tab")
    assert _focused(page)["inSummary"], "Tab from the summary does not reach its links"
    page.keyboard.press("Enter")
    expect(page.locator("#name")).to_be_focused()
    page.keyboard.type("Kim Keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type("kim@example.org")
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout/payment")
    journey.step("payment method")

    seen = []
    _tab_until(page, lambda f: f["id"] == "method", seen)
    page.keyboard.press("Space")
    _tab_until(page, lambda f: f["text"] == "Continue", seen)
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout/review")
    journey.step("review")

    _tab_until(page, lambda f: f["text"] == "Place order and pay by card", seen)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Pay", exact=True)).to_be_visible()
    journey.step("payment page", axe=False)
    journey.assert_accessible()
