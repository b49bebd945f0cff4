"""The organisation manager's journey in a real browser, with JavaScript on and off: from their
account to their organisation's page, where a colleague's orders, the free printed copies that
colleague used and the invoice are; then they name a member. Every page is checked with axe."""

import re

from playwright.sync_api import expect

MANAGER = ("morgan.reid@northmere.gov.uk", "northmere-manager-demo")


def test_organisation_manager_sees_colleagues_orders_and_free_copies(journey_factory, mode):
    journey = journey_factory("organisation-manager")
    page = journey.page
    journey.goto("/", "home")
    journey.sign_in(*MANAGER)
    journey.goto("/account", "account")
    expect(page.locator("#managed")).to_have_text("Organisations you manage")
    journey.click("Northmere City Council: its orders, free copies used and people", role="link")
    expect(page.locator("h1")).to_have_text("Northmere City Council")
    journey.step("organisation page")

    free_copies = page.locator("table", has_text="Free copies")
    expect(free_copies).to_contain_text("Sam Patel")
    expect(free_copies).to_contain_text("1 of 1 free copy used")
    orders = page.locator("table", has_text="Documents")
    # The demo's two orders of printed copies (earlier journeys may add PDF orders of Sam's).
    expect(orders.locator("tbody tr", has_text="printed copy")).to_have_count(2)
    expect(orders).to_contain_text("sam.patel@northmere.gov.uk")
    expect(orders).to_contain_text("Waiting for invoice payment")

    with page.expect_download() as download_info:
        orders.get_by_role("link", name=re.compile(r"^VAT invoice INV-")).first.click()
    with open(download_info.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_label("Email address", exact=True).fill(f"consultant.{mode}@partner.example")
    journey.click("Add named member")
    expect(page.locator("main")).to_contain_text(
        f"Added consultant.{mode}@partner.example as a named member."
    )
    journey.step("named member added")
    journey.assert_accessible()
