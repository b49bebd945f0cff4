"""The renewal journey in a real browser, with JavaScript on and off, every page checked with axe:
the demo's lapsed subscriber reads one calm message on a report page, follows "Renew your
subscription" to the request form (their organisation already filled in) and sends it; the
administrator finds the request, records a call, and sees the subscriptions ending soon."""

import re

from playwright.sync_api import expect

LAPSED = ("alex.morgan@southvale.gov.uk", "southvale-lapsed-demo")
ADMIN = ("admin@socitm.example", "socitm-admin-demo")
REPORT = "/reports/transformation-in-practice"


def test_lapsed_subscriber_asks_to_renew_and_the_administrator_sees_it(
    journey_factory, shared, mode
):
    journey = journey_factory("renew")
    page = journey.page
    journey.goto("/", "home")
    journey.sign_in(*LAPSED)
    journey.goto(REPORT, "report, subscription lapsed")
    expect(page.locator("main")).to_contain_text("Southvale District Council")
    assert page.locator("main").inner_text().count("ended on") == 1
    journey.click("Renew your subscription", role="link")
    journey.step("request form, filled in")
    expect(page.get_by_label("Renew a subscription")).to_be_checked()
    expect(page.get_by_label("Organisation")).to_have_value("Southvale District Council")
    expect(page.get_by_label("Full name")).to_have_value("Alex Morgan")
    page.get_by_label("Your role (optional)").fill("ICT manager")
    page.get_by_label("Message (optional for joining or renewing)").fill(f"Renewal ({mode})")
    journey.click("Send request")
    expect(page.locator("h1")).to_contain_text("Request sent")
    journey.step("request sent")
    journey.assert_accessible()

    admin = journey_factory("renew-admin")
    admin.goto("/", "home")
    admin.sign_in(*ADMIN, shared)
    admin.page.goto("/admin/insight-requests")
    admin.two_factor(shared)
    admin.goto("/admin/insight-requests?state=new", "new requests")
    row = admin.page.locator("tr", has_text="Alex Morgan").first
    expect(row).to_contain_text("Southvale District Council")
    row.get_by_role("link", name=re.compile(r"^Renew a subscription")).click()
    admin.page.wait_for_load_state()
    expect(admin.page.locator("main")).to_contain_text(f"Renewal ({mode})")
    admin.step("the request")
    admin.page.get_by_label("Change the state to").select_option("contacted")
    admin.page.get_by_label("Note (optional)").fill("Phoned Alex about the price")
    admin.click("Save")
    expect(admin.page.locator("main")).to_contain_text("New → Contacted")
    admin.step("contacted")
    admin.goto("/admin/renewals", "renewals")
    expect(admin.page.locator("main")).to_contain_text("Westbrook Fire and Rescue Service")
    expect(admin.page.locator("main")).to_contain_text("Robin Hale")
    admin.assert_accessible()
