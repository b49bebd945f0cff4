"""A person's data rights in a real browser, with JavaScript on and off, every page checked with
axe: a buyer places an order on invoice, downloads the archive of their data from their account
and finds the order and its invoice in it, then closes their account; signing in fails after,
and the administrator still sees the order, with the person erased and the invoice intact.

This journey closes demo accounts, so it runs after the others (file order): the demo
non-subscriber with JavaScript on, the lapsed subscriber's staff member with it off.
"""

import csv
import io
import re
import zipfile

from playwright.sync_api import expect

PEOPLE = {
    "js": ("jo.evans@eastbridge.gov.uk", "eastbridge-buyer-demo"),
    "nojs": ("alex.morgan@southvale.gov.uk", "southvale-lapsed-demo"),
}
ADMIN = ("admin@socitm.example", "socitm-admin-demo")
REPORT = "/reports/challenge-of-transformation"
REFERENCE = re.compile(r"INS-\d{4}-\d{6}")


def _order_on_invoice(journey) -> str:
    page = journey.page
    journey.goto(REPORT, "report")
    journey.click("Add PDF to basket")
    journey.goto("/basket", "basket")
    journey.click("Continue to checkout")
    journey.step("checkout details")
    page.get_by_label("Full name").fill("Data Rights Buyer")
    page.get_by_label("Organisation", exact=True).fill("Eastbridge Borough Council")
    for label, value in (
        ("Address line 1", "Town Hall"),
        ("Town or city", "Eastbridge"),
        ("Postcode", "EB1 2CD"),
    ):
        field = page.get_by_label(label, exact=True)
        if field.count():
            field.fill(value)
    journey.click("Continue")
    journey.step("payment method")
    page.get_by_label("By invoice, with a purchase order").check()
    page.get_by_label("Purchase order number").fill("PO-DATA-1")
    page.get_by_label("Billing address line 1").fill("Finance, Town Hall")
    page.locator("#billing_town").fill("Eastbridge")
    page.locator("#billing_postcode").fill("EB1 2CD")
    page.get_by_label("Finance contact email address").fill("finance@eastbridge.gov.uk")
    journey.click("Continue")
    journey.step("review")
    journey.click("Place order")
    expect(page.locator("main")).to_contain_text("Waiting for invoice payment")
    journey.step("order placed")
    return REFERENCE.search(page.locator("h1").inner_text()).group(0)


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def test_a_person_downloads_their_data_then_closes_their_account(journey_factory, shared, mode):
    email, password = PEOPLE[mode]
    journey = journey_factory("your-data")
    page = journey.page
    journey.goto("/", "home")
    journey.sign_in(email, password)
    reference = _order_on_invoice(journey)

    journey.goto("/account", "account")
    journey.click("Download a copy of your data", role="link")
    journey.step("your data")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your data (ZIP)").click()
    archive = zipfile.ZipFile(download_info.value.path())
    assert reference in {row["reference"] for row in _rows(archive, "orders.csv")}
    [invoice] = [
        row
        for row in _rows(archive, "documents.csv")
        if row["order_reference"] == reference and row["kind"] == "invoice"
    ]
    assert archive.read(invoice["file"]).startswith(b"%PDF-")

    journey.goto("/account/close", "close account")
    expect(page.locator("main")).to_contain_text("The invoice is still owed")
    page.get_by_label("Your password").fill("not my password")
    journey.click("Close my account and erase my details")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Password is not correct")
    journey.step("wrong password refused")
    page.get_by_label("Your password").fill(password)
    journey.click("Close my account and erase my details")
    expect(page.locator("h1")).to_have_text("Your account is closed")
    journey.step("account closed")

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    journey.step("signing in fails")
    journey.assert_accessible()

    admin = journey_factory("your-data-admin")
    admin.goto("/", "home")
    admin.sign_in(*ADMIN, shared)
    admin.page.goto(f"/admin/orders/{reference}")
    admin.two_factor(shared)
    admin.goto(f"/admin/orders/{reference}", "erased buyer's order")
    main = admin.page.locator("main")
    expect(main).to_contain_text("Erased person")
    expect(main).not_to_contain_text(email)
    link = admin.page.get_by_role("link", name=re.compile(r"INV-\d+")).first
    response = admin.page.request.get(link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF-")
    admin.assert_accessible()
