"""The audit page speaks the interface's language: amounts, rates, states and names as the rest
of the administration shows them, never pence, basis points, enum values or ids."""

import pytest

from portal.admin.audit_wording import ACTIONS, action_words, value_words
from portal.audit import record
from portal.extensions import db


@pytest.mark.parametrize(
    ("name", "value", "target_type", "words"),
    [
        ("price_pence", 12_000, "report", "£120.00"),
        ("postage_pence", 0, "report", "£0.00"),
        ("amount_pence", 123_450, "order", "£1,234.50"),
        ("vat_rate_basis_points", 0, "report", "0%"),
        ("vat_rate_basis_points", 1750, "report", "17.5%"),
        ("state", "fulfilled", "order", "Complete"),
        ("state", "awaiting_invoice_payment", "order", "Waiting for invoice payment"),
        ("kind", "pdf", "report", "PDF download"),
        ("kind", "fire_and_rescue", "organisation", "Fire and rescue"),
        ("method", "bank_transfer", "order", "Refund by bank transfer"),
        ("is_published", True, "report", "Yes"),
        ("on_stop", False, "organisation", "No"),
        ("published_on", "2006-02-14", "report", "14 February 2006"),
        ("downloads_released_at", "2026-11-26T14:05:00+00:00", "order", "26 November 2026, 2:05pm"),
        ("stock", None, "report", "None"),
        ("lines", [11, 12], "order", "2 lines"),
        ("lines", {"11": 2, "12": 1}, "order", "3 copies on 2 lines"),
        ("removed", ["JavaScript", "embedded files"], "report", "JavaScript; embedded files"),
        ("pdf_file_key", "reports/x-0123.pdf", "report", "A file"),
        ("title", "Channel shift", "report", "Channel shift"),
    ],
)
def test_values_read_as_the_interface_shows_them(name, value, target_type, words):
    assert value_words(name, value, target_type) == words


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("order.mark_invoice_paid", "Invoice marked paid"),
        ("format.update", "Format changed"),
        ("export.orders", "Export: orders"),
        ("public_sector_domain.add", "Public-sector domain added"),
        ("order.refund_repay_by_card", "Failed refund sent to the card again"),
    ],
)
def test_actions_are_named_in_words(action, words):
    assert action_words(action) == words


def test_every_named_action_has_words_that_are_not_its_code():
    for action, words in ACTIONS.items():
        assert "." not in words and "_" not in words, action


def test_the_page_shows_amounts_rates_states_and_names_never_codes_or_ids(
    app, client, auth, create_user, create_organisation
):
    admin = create_user(is_admin=True, email="boss@socitm.example")
    organisation = create_organisation(name="Northmere City Council")
    with app.app_context():
        record(
            admin,
            "format.update",
            "report",
            "channel-shift",
            before={"kind": "print", "price_pence": 12_000, "vat_rate_basis_points": 0},
            after={"kind": "print", "price_pence": 14_500, "vat_rate_basis_points": 2000},
        )
        record(
            admin,
            "order.mark_dispatched",
            "order",
            "INS-2026-000007",
            before={"state": "paid"},
            after={"state": "fulfilled", "lines": [31, 32], "refund_id": 99},
        )
        record(
            admin,
            "organisation.put_on_stop",
            "organisation",
            organisation.id,
            before={"on_stop": False},
            after={"on_stop": True, "reason": "Invoices unpaid"},
        )
        db.session.commit()
    auth.sign_in(admin.email)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Standard price: £120.00" in page and "£145.00" in page
    assert "VAT rate: 0%" in page and "20%" in page
    assert "State: Paid" in page and "Complete" in page
    assert "Organisation Northmere City Council" in page
    assert "Put on stop" in page and "On stop: No" in page
    for code in ("12000", "14500", "2000", "fulfilled", "price_pence", "format.update", "99"):
        assert code not in page.split("<table", 1)[1].split("</table>", 1)[0], code
    # Recorded the same before and after: not shown as a change.
    assert "Kind:" not in page
