"""The pricing rules, table by table. Everything is passed in: no database, no clock."""

from dataclasses import dataclass
from datetime import date

import pytest

from portal.pricing import (
    CARD_LEAST_PENCE,
    CARD_MOST_PENCE,
    GUEST,
    Lapsed,
    Membership,
    Person,
    card_total_refusal,
    describe_subscription,
    lapsed_membership,
    may_download_line,
    may_take_free_pdf,
    quote,
    subscriber_terms,
    subscription_reason,
    totals,
    vat_on,
)

TODAY = date(2026, 11, 26)
YEAR = (date(2026, 4, 1), date(2027, 3, 31))


@dataclass(frozen=True)
class Terms:
    kind: str = "pdf"
    price_pence: int = 14_500
    subscriber_price_pence: int = 0
    vat_rate_basis_points: int = 0
    free_copies_per_organisation: int = 1


PDF = Terms()
PRINT = Terms(kind="print", price_pence=17_500)


def member(*periods, name="Northmere City Council"):
    return Membership(organisation_id=7, organisation_name=name, periods=tuple(periods))


def subscriber(*periods):
    return Person(signed_in=True, email_verified=True, membership=member(*(periods or [YEAR])))


UNVERIFIED = Person(signed_in=True, email_verified=False)
NO_ORGANISATION = Person(signed_in=True, email_verified=True)


@pytest.mark.parametrize(
    ("person", "today", "total", "reason"),
    [
        (GUEST, TODAY, 14_500, "Sign in if your organisation subscribes to Insight"),
        (UNVERIFIED, TODAY, 14_500, "Verify your email address to get subscriber prices"),
        (NO_ORGANISATION, TODAY, 14_500, "Standard price"),
        (subscriber(), TODAY, 0, "Free with your Insight subscription (Northmere City Council)"),
        # First and last day of a subscription are inside it.
        (subscriber(), date(2026, 4, 1), 0, "Free with your Insight subscription"),
        (subscriber(), date(2027, 3, 31), 0, "Free with your Insight subscription"),
        # The day before it starts, and the day after it ends, are not.
        (
            subscriber(),
            date(2026, 3, 31),
            14_500,
            "Insight subscription (Northmere City Council) starts on 1 April 2026",
        ),
        (
            subscriber(),
            date(2027, 4, 1),
            14_500,
            "Insight subscription (Northmere City Council) ended on 31 March 2027",
        ),
        # Several years: whichever is active today counts.
        (subscriber((date(2024, 4, 1), date(2025, 3, 31)), YEAR), TODAY, 0, "Free with"),
        (
            subscriber(
                (date(2024, 4, 1), date(2025, 3, 31)), (date(2025, 4, 1), date(2026, 3, 31))
            ),
            TODAY,
            14_500,
            "ended on 31 March 2026",
        ),
        # An organisation that has never subscribed.
        (Person(True, True, member()), TODAY, 14_500, "Standard price"),
    ],
)
def test_who_gets_subscriber_prices_for_a_pdf(person, today, total, reason):
    """A subscriber's line says what they got; anyone else's line says "Standard price", and
    why they got no subscriber price is the separate hint the pages show."""
    result = quote(person, PDF, 1, today)
    assert result.total_pence == total
    assert result.is_subscriber is (total == 0)
    if total:
        assert result.reason == "Standard price"
        assert reason in subscription_reason(person, today)
    else:
        assert reason in result.reason


@pytest.mark.parametrize("person", [GUEST, UNVERIFIED, NO_ORGANISATION])
@pytest.mark.parametrize("terms", [PDF, PRINT])
def test_a_line_reason_is_never_a_prompt(person, terms):
    reason = quote(person, terms, 2, TODAY).reason
    assert reason == "Standard price"
    assert "Sign in" not in reason and "Verify" not in reason


def test_an_unverified_person_never_gets_subscriber_prices_even_with_a_membership():
    person = Person(signed_in=True, email_verified=False, membership=member(YEAR))
    result = quote(person, PDF, 1, TODAY)
    assert result.total_pence == 14_500
    assert result.reason == "Standard price"
    assert subscription_reason(person, TODAY) == (
        "Verify your email address to get subscriber prices"
    )


def test_a_guest_with_a_membership_still_pays_the_standard_price():
    assert quote(Person(membership=member(YEAR)), PDF, 1, TODAY).total_pence == 14_500


@pytest.mark.parametrize(
    ("allowance", "used", "quantity", "free", "charged", "reason", "before"),
    [
        (
            1,
            0,
            1,
            1,
            0,
            "1 free printed copy with your Insight subscription (Northmere City Council)",
            "1 free copy left for Northmere City Council",
        ),
        (
            1,
            1,
            1,
            0,
            1,
            "Standard price: Northmere City Council has had its 1 free copy of this report",
            "No free copies left for Northmere City Council: further copies are at the "
            "standard price",
        ),
        (
            1,
            0,
            3,
            1,
            2,
            "1 free printed copy with your subscription; 2 at the standard price",
            "1 free copy left for Northmere City Council",
        ),
        (
            3,
            1,
            2,
            2,
            0,
            "2 free printed copies with your Insight subscription (Northmere City Council)",
            "2 free copies left for Northmere City Council",
        ),
        (
            3,
            2,
            2,
            1,
            1,
            "1 free printed copy with your subscription; 1 at the standard price",
            "1 free copy left for Northmere City Council",
        ),
        (
            0,
            0,
            2,
            0,
            2,
            "Printed copies are at the standard price, also for Insight subscribers",
            "Printed copies are at the standard price, also for Insight subscribers",
        ),
        # More used than allowed (e.g. the allowance was lowered later) is never negative.
        (1, 5, 1, 0, 1, "has had its 1 free copy", "No free copies left"),
    ],
)
def test_printed_copies_follow_the_organisations_allowance(
    allowance, used, quantity, free, charged, reason, before
):
    """The line's reason says what the buyer got; before ordering, the page says how many free
    copies the organisation has left (never "1 of 1 used" before anything is ordered)."""
    terms = Terms(kind="print", price_pence=17_500, free_copies_per_organisation=allowance)
    result = quote(subscriber(), terms, quantity, TODAY, free_copies_used=used)
    assert (result.subscriber_quantity, result.standard_quantity) == (free, charged)
    assert result.total_pence == charged * 17_500
    assert reason in result.reason
    assert before in result.before_ordering
    assert "used" not in result.before_ordering


def test_printed_copies_at_a_subscriber_price_are_not_called_free():
    terms = Terms(kind="print", price_pence=17_500, subscriber_price_pence=5_000)
    result = quote(subscriber(), terms, 2, TODAY)
    assert result.reason == (
        "1 printed copy at the subscriber price with your subscription; 1 at the standard price"
    )
    assert result.before_ordering == (
        "1 printed copy at the subscriber price left for Northmere City Council"
    )


def test_the_before_ordering_words_of_a_pdf_or_a_non_subscriber_are_the_reason():
    assert quote(subscriber(), PDF, 1, TODAY).before_ordering == (
        "Free with your Insight subscription (Northmere City Council)"
    )
    assert quote(GUEST, PRINT, 1, TODAY).before_ordering == "Standard price"


@pytest.mark.parametrize(
    ("terms", "words"),
    [
        (PDF, "Free for Insight subscribers"),
        (Terms(subscriber_price_pence=2_500), "£25.00 for Insight subscribers"),
        (PRINT, "1 free copy for each subscribing organisation, then the standard price"),
        (
            Terms(kind="print", free_copies_per_organisation=3),
            "3 free copies for each subscribing organisation, then the standard price",
        ),
        (
            Terms(kind="print", subscriber_price_pence=5_000, free_copies_per_organisation=2),
            "2 printed copies for each subscribing organisation at £50.00, then the standard price",
        ),
        (
            Terms(kind="print", free_copies_per_organisation=0),
            "Standard price for Insight subscribers too",
        ),
    ],
)
def test_what_subscribers_pay_says_how_many_printed_copies_are_free(terms, words):
    assert subscriber_terms(terms) == words


def test_non_subscribers_pay_for_every_printed_copy():
    result = quote(NO_ORGANISATION, PRINT, 3, TODAY)
    assert result.standard_quantity == 3 and result.total_pence == 52_500


def test_pdfs_are_free_to_subscribers_without_limit():
    result = quote(subscriber(), PDF, 5, TODAY, free_copies_used=99)
    assert result.total_pence == 0 and result.subscriber_quantity == 5


def test_a_subscriber_price_above_zero_is_charged_and_named():
    terms = Terms(subscriber_price_pence=2_500)
    result = quote(subscriber(), terms, 1, TODAY)
    assert result.total_pence == 2_500
    assert result.reason == "Insight subscriber price (Northmere City Council)"


@pytest.mark.parametrize(
    ("net", "rate", "vat"),
    [
        (14_500, 0, 0),
        (14_500, 2000, 2_900),
        (1, 2000, 0),
        (3, 2000, 1),
        (25, 2000, 5),
        (2, 2500, 1),
        (999, 500, 50),
    ],
)
def test_vat_is_rounded_to_the_nearest_penny(net, rate, vat):
    assert vat_on(net, rate) == vat


def test_vat_is_charged_on_the_net_price_of_the_line():
    terms = Terms(kind="print", price_pence=1_000, vat_rate_basis_points=2000)
    result = quote(NO_ORGANISATION, terms, 3, TODAY)
    assert (result.net_pence, result.vat_pence, result.total_pence) == (3_000, 600, 3_600)


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_must_be_positive(quantity):
    with pytest.raises(ValueError):
        quote(GUEST, PDF, quantity, TODAY)


@pytest.mark.parametrize(
    ("person", "terms", "allowed"),
    [
        (subscriber(), PDF, True),
        (subscriber(), PRINT, False),  # printed copies are ordered, not downloaded
        (subscriber(), Terms(subscriber_price_pence=100), False),
        (NO_ORGANISATION, PDF, False),
        (UNVERIFIED, PDF, False),
        (GUEST, PDF, False),
        (NO_ORGANISATION, Terms(price_pence=0), True),  # a free report is free to all
    ],
)
def test_who_may_take_a_pdf_in_one_click(person, terms, allowed):
    assert may_take_free_pdf(person, terms, TODAY) is allowed


@pytest.mark.parametrize(
    ("kind", "state", "owner", "admin", "allowed"),
    [
        ("pdf", "paid", True, False, True),
        ("pdf", "fulfilled", True, False, True),
        ("pdf", "pending_payment", True, False, False),
        ("pdf", "awaiting_invoice_payment", True, False, False),
        ("pdf", "cancelled", True, False, False),
        ("pdf", "paid", False, False, False),
        ("pdf", "pending_payment", False, True, True),
        ("print", "paid", True, True, False),
    ],
)
def test_who_may_download_an_order_line(kind, state, owner, admin, allowed):
    assert (
        may_download_line(
            format_kind=kind, order_state=state, is_owner=owner, is_admin=admin
        ).allowed
        is allowed
    )


@pytest.mark.parametrize(
    ("person", "sentence"),
    [
        (subscriber(), "Northmere City Council subscribes to Insight until 31 March 2027."),
        (NO_ORGANISATION, "not linked to an organisation that subscribes"),
        (Person(True, True, member()), "Northmere City Council has no Insight subscription"),
        (UNVERIFIED, "Verify your email address"),
        (subscriber((date(2025, 4, 1), date(2026, 3, 31))), "ended on 31 March 2026"),
    ],
)
def test_account_page_sentence(person, sentence):
    assert sentence in describe_subscription(person, TODAY)


def test_subscription_reason_is_none_for_an_active_subscriber():
    assert subscription_reason(subscriber(), TODAY) is None


def test_totals_add_lines_vat_and_postage():
    lines = [
        quote(
            NO_ORGANISATION,
            Terms(kind="print", price_pence=1_000, vat_rate_basis_points=2000),
            2,
            TODAY,
        ),
        quote(NO_ORGANISATION, PDF, 1, TODAY),
    ]
    result = totals(lines, [450])
    assert (result.net_pence, result.vat_pence, result.postage_pence) == (16_500, 400, 450)
    assert result.total_pence == 17_350


UNDER_THE_LEAST = (
    "This order comes to less than £0.30, the least a card can be charged. Pay by invoice instead."
)
OVER_THE_MOST = (
    "This order comes to more than £999,999.99, the most a card can be charged. "
    "Pay by invoice instead, or order fewer copies."
)


@pytest.mark.parametrize(
    ("total", "refusal"),
    [
        (0, None),  # nothing to charge: a free order never reaches a card
        (1, UNDER_THE_LEAST),
        (CARD_LEAST_PENCE - 1, UNDER_THE_LEAST),
        (CARD_LEAST_PENCE, None),
        (CARD_MOST_PENCE, None),
        (CARD_MOST_PENCE + 1, OVER_THE_MOST),
    ],
    ids=["free", "1p", "29p", "30p", "the most", "a penny over the most"],
)
def test_a_card_total_is_at_least_30p_and_at_most_stripes_maximum_else_paid_by_invoice(
    total, refusal
):
    assert (CARD_LEAST_PENCE, CARD_MOST_PENCE) == (30, 99_999_999)
    assert card_total_refusal(total) == refusal


@pytest.mark.parametrize(
    ("state", "released", "allowed"),
    [
        ("awaiting_invoice_payment", False, False),
        ("awaiting_invoice_payment", True, True),
        ("cancelled", True, False),
        ("pending_payment", True, False),
    ],
)
def test_downloads_released_early_open_only_an_invoice_awaiting_payment(state, released, allowed):
    assert (
        may_download_line(
            format_kind="pdf",
            order_state=state,
            is_owner=True,
            is_admin=False,
            released_early=released,
        ).allowed
        is allowed
    )


@pytest.mark.parametrize(
    ("kind", "state", "refunded", "reason"),
    [
        ("pdf", "paid", True, "This report was refunded (or credited against the invoice), so"),
        ("pdf", "awaiting_invoice_payment", True, "This report was refunded (or credited"),
        ("pdf", "cancelled", False, "This order was cancelled, so its reports can no longer"),
        ("pdf", "awaiting_invoice_payment", False, "once the invoice is paid."),
        ("pdf", "pending_payment", False, "once your payment is confirmed."),
        ("print", "paid", False, "This item is not a download."),
    ],
)
def test_a_refused_download_says_why(kind, state, refunded, reason):
    decision = may_download_line(
        format_kind=kind, order_state=state, is_owner=True, is_admin=False, refunded=refunded
    )
    assert decision.allowed is False
    assert reason in decision.reason


def test_an_allowed_download_gives_no_reason():
    decision = may_download_line(
        format_kind="pdf", order_state="paid", is_owner=True, is_admin=False
    )
    assert decision.allowed is True and decision.reason == ""


LAST_YEAR = (date(2025, 4, 1), date(2026, 3, 31))
NEXT_YEAR = (date(2027, 4, 1), date(2028, 3, 31))


@pytest.mark.parametrize(
    ("person", "today", "lapsed"),
    [
        (subscriber(LAST_YEAR), TODAY, Lapsed("Northmere City Council", date(2026, 3, 31))),
        # The day after the last day is the first day it has lapsed; the last day is not.
        (subscriber(YEAR), date(2027, 4, 1), Lapsed("Northmere City Council", date(2027, 3, 31))),
        (subscriber(YEAR), date(2027, 3, 31), None),
        # Active today, or renewed for a period that starts later: nothing to renew.
        (subscriber(LAST_YEAR, YEAR), TODAY, None),
        (subscriber(LAST_YEAR, NEXT_YEAR), TODAY, None),
        # Never subscribed, no organisation, not verified, not signed in.
        (Person(True, True, member()), TODAY, None),
        (NO_ORGANISATION, TODAY, None),
        (Person(True, False, member(LAST_YEAR)), TODAY, None),
        (Person(False, True, member(LAST_YEAR)), TODAY, None),
        (GUEST, TODAY, None),
    ],
)
def test_who_is_asked_to_renew(person, today, lapsed):
    assert lapsed_membership(person, today) == lapsed
