"""The journeys of the portal in a real browser, each with JavaScript on and off.

Every page the journeys visit (public and admin) is checked with axe against WCAG 2.0, 2.1 and
2.2 A and AA, and a screenshot of every step is kept in ``tests/browser/artifacts/``. The
journeys run in file order and share the demo database: the administrator's journey settles the
invoice and refunds the printed copy of the card order that the earlier journeys placed in the
same mode, after checking the amount and line on the confirmation page; the line refund journey
marks paid the invoice of the council order released on credit terms, refunds its printed
copies by bank transfer and reads the credit note. The content pages journey follows the footer
to each page and publishes a new version of the terms of sale.
"""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

SUBSCRIBER = ("sam.patel@northmere.gov.uk", "northmere-subscriber-demo")
BUYER = ("jo.evans@eastbridge.gov.uk", "eastbridge-buyer-demo")
ADMIN = ("admin@socitm.example", "socitm-admin-demo")
REPORT = "/reports/challenge-of-transformation"
REFERENCE = re.compile(r"INS-\d{4}-\d{6}")


def _reference(journey) -> str:
    match = REFERENCE.search(journey.page.locator("h1").inner_text())
    assert match, f"no order reference on {journey.page.url}"
    return match.group(0)


def test_subscriber_downloads_a_pdf_free_in_one_click(journey_factory, shared):
    journey = journey_factory("subscriber")
    page = journey.page
    journey.goto("/", "home")
    journey.sign_in(*SUBSCRIBER)
    journey.step("signed in")
    journey.goto(REPORT, "report")
    expect(page.get_by_text("Free with your Insight subscription").first).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile(r"^Download PDF")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    journey.goto("/account", "account after download")
    journey.assert_accessible()


def _fill_delivery(page, *, name: str, email: str | None, organisation: str) -> None:
    page.get_by_label("Full name").fill(name)
    if email is not None:
        page.get_by_label("Email address").fill(email)
    page.get_by_label("Organisation", exact=True).fill(organisation)
    page.get_by_label("Address line 1").fill("Town Hall")
    page.get_by_label("Town or city").fill("Eastbridge")
    page.get_by_label("Postcode").fill("EB1 2CD")


def _add_to_basket(journey, *, pdf: bool, copies: int) -> None:
    page = journey.page
    journey.goto(REPORT, "report")
    if pdf:
        journey.click("Add PDF to basket")
        journey.step("PDF in basket")
        if not copies:
            journey.goto("/basket", "basket")
            return
        page.goto(REPORT)
    page.get_by_label("Number of printed copies").fill(str(copies))
    journey.click("Add printed copies to basket")
    journey.step("basket")


def _pay_by_invoice(page, *, po_number: str | None, finance: str = "finance@eastbridge.gov.uk"):
    """Choose to pay by invoice and give its details: a PO number, or "PO to follow"."""
    page.get_by_label("By invoice, with a purchase order").check()
    if po_number is None:
        page.get_by_label("PO to follow: I will send the PO number later").check()
    else:
        page.get_by_label("Purchase order number").fill(po_number)
    page.get_by_label("Billing address line 1").fill("Finance, Town Hall")
    page.locator("#billing_town").fill("Eastbridge")
    page.locator("#billing_postcode").fill("EB1 2CD")
    page.get_by_label("Finance contact email address").fill(finance)


def test_guest_buys_a_pdf_and_a_printed_copy_by_card(journey_factory, shared, mode):
    journey = journey_factory("guest-card")
    page = journey.page
    _add_to_basket(journey, pdf=True, copies=1)
    journey.click("Continue to checkout", role="button")
    journey.step("checkout details")
    _fill_delivery(page, name="Robin Guest", email="robin@example.org", organisation="Example")
    journey.click("Continue")
    journey.step("payment method")
    page.get_by_label("By card now").check()
    journey.click("Continue")
    journey.step("review")
    journey.click("Place order and pay by card")
    # Stripe's page (here the stand-in's) is not the portal's: screenshot, no axe.
    expect(page.get_by_role("button", name="Pay", exact=True)).to_be_visible()
    journey.step("payment page", axe=False)
    name_on_card = page.get_by_label("Name on card")
    if name_on_card.count():
        name_on_card.fill("Robin Guest")
    journey.click("Pay")
    expect(page.locator("main")).to_contain_text("Paid")
    journey.step("paid order")
    shared[f"card-{mode}"] = _reference(journey)
    journey.assert_accessible()


def _council_checks_out_on_invoice(journey, *, pdf: bool, copies: int, po_number: str | None):
    """Jo Evans, of a council, signs in and checks out on invoice, up to the review page."""
    page = journey.page
    journey.goto("/", "home")
    journey.sign_in(*BUYER)
    _add_to_basket(journey, pdf=pdf, copies=copies)
    journey.click("Continue to checkout", role="button")
    journey.step("checkout details")
    _fill_delivery(page, name="Jo Evans", email=None, organisation="Eastbridge Borough Council")
    journey.click("Continue")
    journey.step("payment method")
    _pay_by_invoice(page, po_number=po_number)
    journey.click("Continue")


def test_council_orders_printed_copies_on_invoice(journey_factory, shared, mode):
    journey = journey_factory("invoice")
    page = journey.page
    _council_checks_out_on_invoice(
        journey, pdf=False, copies=3, po_number=f"PO-{mode.upper()}-4411"
    )
    journey.step("review")
    expect(page.get_by_text(f"PO-{mode.upper()}-4411")).to_be_visible()
    journey.click("Place order")
    expect(page.locator("main")).to_contain_text("Waiting for invoice payment")
    journey.step("order awaiting invoice payment")
    shared[f"invoice-{mode}"] = _reference(journey)
    journey.assert_accessible()


def test_council_officer_on_credit_terms_downloads_at_once(journey_factory, shared, mode):
    """A verified address on a public-sector domain: the invoice order, its PO to follow, is
    released when placed, and its PDF downloads before the invoice is paid."""
    journey = journey_factory("credit-terms")
    page = journey.page
    _council_checks_out_on_invoice(journey, pdf=True, copies=2, po_number=None)
    expect(page.locator("main")).to_contain_text("To follow")
    expect(page.locator("#credit-terms")).to_contain_text("Released at once.")
    journey.step("review")
    journey.click("Place order")
    expect(page.locator("#standing .govuk-tag")).to_have_text(["Invoiced", "Downloadable"])
    expect(page.locator("main")).to_contain_text("Your order is released on credit terms")
    journey.step("order released on credit terms")
    shared[f"credit-{mode}"] = _reference(journey)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Download PDF")).first.click()
    with open(download_info.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    journey.goto(f"/orders/{shared[f'credit-{mode}']}", "order after download")
    expect(page.get_by_text("(9 downloads left)")).to_be_visible()
    journey.assert_accessible()


def test_guest_invoice_order_waits_and_says_why(journey_factory, mode):
    """A guest's address is not verified: the invoice order is not released, and both the
    review and the order page say so, and why, and offer no download."""
    journey = journey_factory("guest-invoice")
    page = journey.page
    _add_to_basket(journey, pdf=True, copies=0)
    journey.click("Continue to checkout", role="button")
    journey.step("checkout details")
    page.get_by_label("Full name").fill("Casey Guest")
    page.get_by_label("Email address").fill(f"casey.{mode}@example.org")
    page.get_by_label("Organisation").fill("Example Trust")
    journey.click("Continue")
    journey.step("payment method")
    _pay_by_invoice(page, po_number=f"PO-G-{mode.upper()}", finance="accounts@example.org")
    journey.click("Continue")
    expect(page.locator("#credit-terms")).to_contain_text("Released when paid.")
    expect(page.locator("#credit-terms")).to_contain_text("Your email address is not verified")
    journey.step("review")
    journey.click("Place order")
    expect(page.locator("#standing .govuk-tag")).to_have_text(["Invoiced", "Not released"])
    expect(page.locator("#credit-terms")).to_contain_text(
        "Your email address is not verified, so we cannot offer credit terms yet"
    )
    expect(page.get_by_role("link", name=re.compile(r"^Download PDF"))).to_have_count(0)
    journey.step("order waiting for payment")
    journey.assert_accessible()


def _fill_date_if_empty(page, label: str) -> None:
    """Date fields default to today; fill them when a form leaves them blank."""
    field = page.get_by_label(label, exact=True)
    if field.count() == 1 and not field.input_value():
        from portal.clock import today_in_london

        today = today_in_london()
        field.fill(f"{today.day} {today.month} {today.year}")


def _administrator_signs_in(journey, shared: dict):
    """Sign the administrator in, with two-factor sign-in (set up on the first journey)."""
    journey.goto("/", "home")
    journey.sign_in(*ADMIN, shared)
    # An administrator without two-factor sign-in is sent to set it up first.
    journey.page.goto("/admin/orders")
    journey.two_factor(shared)
    return journey


def test_administrator_settles_dispatches_and_refunds(journey_factory, shared, mode):
    invoice, card = shared.get(f"invoice-{mode}"), shared.get(f"card-{mode}")
    if not (invoice and card):
        pytest.skip("the invoice and card journeys did not place their orders")
    journey = _administrator_signs_in(journey_factory("admin"), shared)
    page = journey.page
    journey.goto("/admin/orders", "orders")

    page.get_by_role("link", name=invoice).first.click()
    journey.step("invoice order")
    _fill_date_if_empty(page, "Date the money arrived")
    page.get_by_label("Payment reference").fill("BACS 99812")
    journey.click("Mark invoice paid")
    journey.step("invoice paid")
    _fill_date_if_empty(page, "Date posted")
    page.get_by_label("Note or tracking number (optional)").fill("Royal Mail AB123456789GB")
    journey.click("Mark printed copies dispatched")
    expect(page.locator("main")).to_contain_text("Complete")
    journey.step("dispatched")

    journey.goto(f"/admin/orders/{card}", "card order")
    journey.goto(f"/admin/orders/{card}/refund", "refund")
    # The accessible name (whitespace collapsed), not the label's raw text, ends with the kind.
    page.get_by_role("checkbox", name=re.compile(r"1 printed copy$")).check()
    page.get_by_label("Reason for the refund").fill("The printed copy is not needed")
    journey.click("Continue")
    expect(page.locator("h1")).to_contain_text("Check the refund")
    journey.step("check the refund")
    page.get_by_role("button", name=re.compile(r"^Refund £")).click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Refunded £")
    journey.step("refunded")
    journey.assert_accessible()


def _fill_date_boxes(page, legend: str) -> None:
    """Type today's date in the day, month and year boxes of the date asked by ``legend``."""
    from portal.clock import today_in_london

    today = today_in_london()
    boxes = page.get_by_role("group", name=legend)
    boxes.get_by_label("Day").fill(str(today.day))
    boxes.get_by_label("Month").fill(str(today.month))
    boxes.get_by_label("Year").fill(str(today.year))


def test_administrator_refunds_one_line_by_bank_transfer(journey_factory, shared, mode):
    """The order released on credit terms is paid by bank transfer; its printed copies (one of
    its two lines) are refunded by bank transfer after the confirmation page, and the order
    shows the credit note that names them."""
    reference = shared.get(f"credit-{mode}")
    if not reference:
        pytest.skip("the credit terms journey did not place its order")
    journey = _administrator_signs_in(journey_factory("line-refund"), shared)
    page = journey.page
    journey.goto(f"/admin/orders/{reference}", "order released on credit terms")
    _fill_date_if_empty(page, "Date the money arrived")
    page.get_by_label("Payment reference").fill("BACS 40112")
    journey.click("Mark invoice paid")
    expect(page.locator("#standing .govuk-tag")).to_have_text(["Paid", "Downloadable"])
    journey.step("invoice paid")

    journey.click("Refund this order", role="link")
    expect(page.get_by_text("Paid by bank transfer")).to_be_visible()
    journey.step("refund")
    page.get_by_role("checkbox", name=re.compile(r"2 printed copies$")).check()
    _fill_date_boxes(page, "Date the bank transfer was sent")
    page.get_by_label("Bank transfer reference").fill("REFUND 40112")
    page.get_by_label("Reason for the refund").fill("The printed copies are not needed")
    journey.click("Continue")
    main = page.locator("main")
    expect(page.locator("h1")).to_have_text("Check the refund before you refund £350.00")
    expect(main).to_contain_text("2 copies: £350.00")
    expect(main).to_contain_text("reference REFUND 40112")
    expect(main).not_to_contain_text("PDF download")
    journey.step("check the refund")
    journey.click("Refund £350.00")
    expect(main).to_contain_text("Refunded £350.00. The buyer has been emailed.")
    expect(page.locator("#standing .govuk-tag")).to_have_text(["Part-refunded", "Complete"])
    credit_note = page.get_by_role("link", name=re.compile(r"^Credit note CRN-\d{6}"))
    expect(credit_note).to_have_count(1)
    journey.step("order with its credit note")

    number = re.search(r"CRN-\d{6}", credit_note.inner_text()).group(0)
    answer = page.request.get(credit_note.get_attribute("href"))
    assert answer.ok and answer.body().startswith(b"%PDF-")
    sheets = PdfReader(io.BytesIO(answer.body())).pages
    text = " ".join(" ".join(sheet.extract_text().split()) for sheet in sheets)
    for wanted in (number, "Amount credited: £350.00", "challenge of transformation"):
        assert wanted in text, f"{wanted!r} is not on the credit note: {text}"
    journey.assert_accessible()


#: The footer's links to the content pages, and each page's heading in the demo data.
CONTENT_PAGES = {
    "Privacy notice": "Privacy notice",
    "Terms of sale": "Terms of sale",
    "PDF licence": "PDF licence",
    "Cookies": "Cookies",
    "Accessibility statement": "Accessibility statement",
}


def test_content_pages_from_the_footer_and_a_new_version_published(journey_factory, shared, mode):
    """A visitor reaches each content page from the footer; the administrator previews and
    publishes a new version of the terms of sale, which the public page then shows."""
    journey = journey_factory("content-pages")
    page = journey.page
    journey.goto("/", "home")
    for link, heading in CONTENT_PAGES.items():
        page.locator(".govuk-footer").get_by_role("link", name=link, exact=True).click()
        page.wait_for_load_state()
        expect(page.locator("h1")).to_have_text(heading)
        journey.step(link.lower())
    expect(page.locator("main")).to_contain_text("We aim to meet the Web Content Accessibility")

    admin = _administrator_signs_in(journey_factory("content-admin"), shared)
    admin_page = admin.page
    admin.goto("/admin/pages", "pages")
    admin.click("Edit the terms of sale", role="link")
    admin.step("edit the terms")
    added = f"Orders placed in the {mode} journey are covered too."
    body = admin_page.get_by_label("Text", exact=True)
    body.fill(body.input_value() + "\n\n" + added)
    admin_page.get_by_label("What changed (optional)").fill("A sentence added")
    admin.click("Preview")
    expect(admin_page.locator("main")).to_contain_text("Preview (not published)")
    admin.step("preview")
    admin.click("Publish")
    expect(admin_page.locator("main")).to_contain_text("of the terms of sale is published")
    admin.step("versions")
    admin.goto("/terms", "terms, new version")
    expect(admin_page.locator("main")).to_contain_text(added)
    journey.assert_accessible()
    admin.assert_accessible()


def test_the_accessibility_check_finds_violations(journey_factory, portal_url):
    """The check is not vacuous: a page with an unlabelled field, an image without
    alternative text and a line wider than 320 pixels fails it, with JavaScript on and off."""
    journey = journey_factory("axe-self-check")
    journey.goto("/accessibility", "accessibility statement")
    assert not journey.problems, "\n".join(journey.problems)
    journey.page.route(
        f"{portal_url}/broken",
        lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
            '<h1>Broken</h1><img src="/x.png"><input type="text"><pre>'
            + "wide " * 40
            + "</pre></main></body></html>",
        ),
    )
    journey.page.goto("/broken")
    journey.step("broken page")
    found = "\n".join(journey.problems)
    assert "image-alt" in found and "label" in found
    assert "scrolls sideways" in found and "pre" in found
