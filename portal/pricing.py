"""What a person pays for a report format, whether they may take it free, and why.

This is the one place that decides price and entitlement. It is pure: everything it needs — the
person, the format's terms, the copies their organisation has already had free, and ``today`` — is
passed in; it reads no clock and no database and writes nothing. The report page, basket, checkout,
order and download gate all ask it, so they cannot disagree.
"""

import enum
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from portal import pricing_words as words
from portal.clock import long_date


class FormatKind(enum.StrEnum):
    """What a report format is, on the catalogue and on the order line that bought it. Defined
    here, with the rules that tell the two apart, so that pricing imports no feature."""

    PDF = "pdf"
    PRINT = "print"

    @property
    def label(self) -> str:
        return {"pdf": "PDF download", "print": "Printed copy"}[self.value]


@dataclass(frozen=True)
class Membership:
    """An organisation a person's *verified* address belongs to, with its subscription periods."""

    organisation_id: int
    organisation_name: str
    periods: tuple[tuple[date, date], ...]
    matched_by: str = "email domain"

    def active_on(self, today: date) -> bool:
        """Active when some period has start ≤ today ≤ end (both days included)."""
        return any(start <= today <= end for start, end in self.periods)

    def active_until(self, today: date) -> date | None:
        """The last day of the period that is active today (None when none is)."""
        ends = [end for start, end in self.periods if start <= today <= end]
        return max(ends) if ends else None

    def last_ended(self, today: date) -> date | None:
        ended = [end for _, end in self.periods if end < today]
        return max(ended) if ended else None

    def next_starts(self, today: date) -> date | None:
        upcoming = [start for start, _ in self.periods if start > today]
        return min(upcoming) if upcoming else None


@dataclass(frozen=True)
class Person:
    """Who is asking. ``membership`` must only come from a verified address."""

    signed_in: bool = False
    email_verified: bool = False
    membership: Membership | None = None


GUEST = Person()

#: A line's reason when it costs what everyone pays (``portal.pricing_words``).
STANDARD_PRICE = words.STANDARD_PRICE

#: The states of an order whose money has arrived (or that cost nothing): paid, and paid then
#: fulfilled. Its lines count as had, its PDFs may be downloaded, its card payment may be
#: refunded. Kept here, with the entitlement rules, as the values of ``OrderState`` (a StrEnum,
#: so ``order.state in PAID_STATES`` holds for its members): this module imports no feature.
PAID_STATES = frozenset({"paid", "fulfilled"})

#: The least and the most one card payment may be, in pence: Stripe refuses a GBP charge under
#: 30p or over 99,999,999p. A price is free or at least the least; a total outside is paid by
#: invoice.
CARD_LEAST_PENCE = 30
CARD_MOST_PENCE = 99_999_999


def price_refusal(pence: int) -> str | None:
    """Why ``pence`` cannot be a price, in words that end a sentence naming the price; None
    when it can: nothing, or an amount a card can pay."""
    if pence == 0 or CARD_LEAST_PENCE <= pence <= CARD_MOST_PENCE:
        return None
    if pence < CARD_LEAST_PENCE:
        return "must be £0.00 or at least £0.30, the least a card can be charged"
    return "must be no more than £999,999.99, the most a card can be charged"


def card_total_refusal(total_pence: int) -> str | None:
    """Why an order of ``total_pence`` cannot be paid by card, or None when it can (or costs
    nothing): outside Stripe's limits it is paid by invoice."""
    if total_pence == 0 or CARD_LEAST_PENCE <= total_pence <= CARD_MOST_PENCE:
        return None
    if total_pence < CARD_LEAST_PENCE:
        return (
            "This order comes to less than £0.30, the least a card can be charged. "
            "Pay by invoice instead."
        )
    return (
        "This order comes to more than £999,999.99, the most a card can be charged. "
        "Pay by invoice instead, or order fewer copies."
    )


class FormatTerms(Protocol):
    """What pricing needs of a report format (``ReportFormat`` has these attributes)."""

    @property
    def kind(self) -> FormatKind: ...
    @property
    def price_pence(self) -> int: ...
    @property
    def subscriber_price_pence(self) -> int: ...
    @property
    def vat_rate_basis_points(self) -> int: ...
    @property
    def free_copies_per_organisation(self) -> int: ...


@dataclass(frozen=True)
class Quote:
    """The price of ``quantity`` units of one format for one person today, and the reason."""

    quantity: int
    subscriber_quantity: int  # units at the subscriber price (for print: within the allowance)
    standard_quantity: int  # units at the standard price
    subscriber_unit_pence: int
    standard_unit_pence: int
    net_pence: int
    vat_rate_basis_points: int
    vat_pence: int
    total_pence: int
    reason: str  # what the buyer gets, fixed on the order line when ordered
    is_subscriber: bool
    organisation_id: int | None = None
    organisation_name: str = ""
    copies_left: int | None = None  # a subscriber's printed copies left before this quote

    @property
    def before_ordering(self) -> str:
        """What a page says beside the price of a format before anything is ordered: for a
        subscriber's printed copies, how many free copies the organisation has left; otherwise
        the reason."""
        if self.copies_left is None or self.standard_unit_pence == self.subscriber_unit_pence:
            return self.reason
        free = self.subscriber_unit_pence == 0
        return words.copies_left(self.organisation_name, self.copies_left, free)

    @property
    def is_free(self) -> bool:
        return self.total_pence == 0

    @property
    def unit_pence(self) -> int:
        """The price of one unit, when every unit costs the same; else the standard unit price."""
        if self.standard_quantity == 0:
            return self.subscriber_unit_pence
        return self.standard_unit_pence


def vat_on(net_pence: int, rate_basis_points: int) -> int:
    """VAT on a net amount, rounded to the nearest penny (halves up)."""
    return (net_pence * rate_basis_points + 5_000) // 10_000


def subscription_reason(person: Person, today: date) -> str | None:
    """Why ``person`` does not get subscriber prices today, or None when they do."""
    if not person.signed_in:
        return "Sign in if your organisation subscribes to Insight"
    if not person.email_verified:
        return "Verify your email address to get subscriber prices"
    membership = person.membership
    if membership is None:
        return STANDARD_PRICE
    if membership.active_on(today):
        return None
    if starts := membership.next_starts(today):
        return (
            f"Your organisation's Insight subscription ({membership.organisation_name}) "
            f"starts on {long_date(starts)}"
        )
    if lapsed := lapsed_membership(person, today):
        return (
            f"Your organisation's Insight subscription ({lapsed.organisation_name}) "
            f"ended on {long_date(lapsed.ended_on)}"
        )
    return STANDARD_PRICE


@dataclass(frozen=True)
class Lapsed:
    """A verified person's organisation whose Insight subscription has ended and not restarted."""

    organisation_name: str
    ended_on: date


def lapsed_membership(person: Person, today: date) -> Lapsed | None:
    """The person's organisation, when its subscription ended before ``today`` and no period is
    active today or starts later: the time to renew. None for anyone else."""
    membership = person.membership if person.signed_in and person.email_verified else None
    if membership is None or membership.active_on(today) or membership.next_starts(today):
        return None
    ended = membership.last_ended(today)
    return Lapsed(membership.organisation_name, ended) if ended else None


def describe_subscription(person: Person, today: date) -> str:
    """A sentence for the account page: the person's Insight access today, or why there is none."""
    reason = subscription_reason(person, today)
    membership = person.membership
    if reason is None and membership is not None:
        until = membership.active_until(today)
        return (
            f"{membership.organisation_name} subscribes to Insight until {long_date(until)}. "
            "Reports are free to you."
        )
    if reason == STANDARD_PRICE:
        if membership is not None:
            return f"{membership.organisation_name} has no Insight subscription at the moment."
        return "Your email address is not linked to an organisation that subscribes to Insight."
    return reason


def subscriber_terms(terms: FormatTerms) -> str:
    """What Insight subscribers pay for a format, for everyone to read beside its price: PDFs
    free (or at the subscriber price) without limit; printed copies only up to the number each
    subscribing organisation gets."""
    if terms.kind == FormatKind.PDF:
        return words.pdf_terms(terms.subscriber_price_pence)
    return words.printed_terms(terms.subscriber_price_pence, terms.free_copies_per_organisation)


def quote(
    person: Person,
    terms: FormatTerms,
    quantity: int,
    today: date,
    free_copies_used: int = 0,
) -> Quote:
    """Price ``quantity`` units of ``terms`` for ``person`` on ``today``.

    Subscribers pay the subscriber price for PDFs without limit. For printed copies their
    organisation has ``free_copies_per_organisation`` at the subscriber price, shared by all its
    members (``free_copies_used`` is how many it has had); further copies cost the standard price.
    Everyone else pays the standard price.
    """
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    organisation = person.membership if subscription_reason(person, today) is None else None
    copies_left = None

    if organisation is None:
        subscriber_quantity, reason = 0, words.STANDARD_PRICE
    elif terms.kind == FormatKind.PDF:
        subscriber_quantity = quantity
        reason = (
            f"Free with your Insight subscription ({organisation.organisation_name})"
            if terms.subscriber_price_pence == 0
            else f"Insight subscriber price ({organisation.organisation_name})"
        )
    else:
        allowance = terms.free_copies_per_organisation
        used = min(max(free_copies_used, 0), allowance)
        subscriber_quantity = min(quantity, allowance - used)
        copies_left = allowance - used if allowance else None
        reason = words.printed_reason(
            organisation.organisation_name,
            allowance,
            subscriber_quantity,
            quantity,
            free=terms.subscriber_price_pence == 0,
        )

    standard_quantity = quantity - subscriber_quantity
    net = subscriber_quantity * terms.subscriber_price_pence + standard_quantity * terms.price_pence
    vat = vat_on(net, terms.vat_rate_basis_points)
    return Quote(
        quantity=quantity,
        subscriber_quantity=subscriber_quantity,
        standard_quantity=standard_quantity,
        subscriber_unit_pence=terms.subscriber_price_pence,
        standard_unit_pence=terms.price_pence,
        net_pence=net,
        vat_rate_basis_points=terms.vat_rate_basis_points,
        vat_pence=vat,
        total_pence=net + vat,
        reason=reason,
        is_subscriber=organisation is not None,
        organisation_id=organisation.organisation_id if organisation else None,
        organisation_name=organisation.organisation_name if organisation else "",
        copies_left=copies_left,
    )


@dataclass(frozen=True)
class Totals:
    """What a basket or order comes to: lines, VAT, postage."""

    net_pence: int
    vat_pence: int
    postage_pence: int

    @property
    def total_pence(self) -> int:
        return self.net_pence + self.vat_pence + self.postage_pence


def totals(quotes: list[Quote], postage_charges: list[int]) -> Totals:
    """Add up priced lines and the postage of each printed format in them."""
    return Totals(
        net_pence=sum(q.net_pence for q in quotes),
        vat_pence=sum(q.vat_pence for q in quotes),
        postage_pence=sum(postage_charges),
    )


def may_take_free_pdf(person: Person, terms: FormatTerms, today: date) -> bool:
    """Whether ``person`` may download this format in one click, as a free order."""
    return terms.kind == FormatKind.PDF and quote(person, terms, 1, today).is_free


@dataclass(frozen=True)
class DownloadDecision:
    """Whether an order line's PDF may be downloaded now, and when not, why (in words for its
    owner)."""

    allowed: bool
    reason: str = ""


def may_download_line(
    *,
    format_kind: FormatKind,
    order_state: str,
    is_owner: bool,
    is_admin: bool,
    released_early: bool = False,
    refunded: bool = False,
) -> DownloadDecision:
    """Whether someone may download the PDF of an order line, and why not: administrators
    always; otherwise only the owner, and only while the order is paid (or free) and not
    cancelled, or while an invoice is awaiting payment if the order was released before payment
    (on credit terms, or by an administrator). A refunded line is closed to its owner at once."""
    is_pdf = format_kind == FormatKind.PDF
    if is_pdf and is_admin:
        return DownloadDecision(True)
    if not (is_owner or is_admin):
        return DownloadDecision(False, "Only the buyer of this order can download its reports.")
    if refunded:
        return DownloadDecision(
            False,
            "This report was refunded (or credited against the invoice), "
            "so it can no longer be downloaded.",
        )
    if is_pdf and (
        order_state in PAID_STATES or (released_early and order_state == "awaiting_invoice_payment")
    ):
        return DownloadDecision(True)
    return DownloadDecision(False, _not_yet_or_not_at_all(order_state))


def _not_yet_or_not_at_all(order_state: str) -> str:
    if order_state == "cancelled":
        return "This order was cancelled, so its reports can no longer be downloaded."
    if order_state == "awaiting_invoice_payment":
        return "You can download this report once the invoice is paid."
    if order_state == "pending_payment":
        return "You can download this report once your payment is confirmed."
    if order_state == "awaiting_approval":
        return "You can download this report once we have approved your order."
    return "This item is not a download."


# ---------------------------------------------------------------------------------------------
# Credit terms: whether an invoice order is released when it is placed


class CreditTerms(enum.StrEnum):
    """Why an invoice order was released when placed, or why it waits (kept on the order as the
    decision made then: the facts may change later)."""

    ORGANISATION = "organisation"  # a verified address of a known organisation
    PUBLIC_SECTOR = "public_sector"  # a verified address on a public-sector domain
    UNVERIFIED = "unverified"  # a guest, or an account whose address is not verified
    UNKNOWN = "unknown"  # a verified address we cannot tie to an organisation
    ON_STOP = "on_stop"  # the buyer's organisation is on stop

    @property
    def released(self) -> bool:
        return self in (CreditTerms.ORGANISATION, CreditTerms.PUBLIC_SECTOR)

    @property
    def explanation(self) -> str:
        """Why, in words for the buyer (the checkout review, the order page, the email)."""
        return {
            "organisation": "Your organisation buys from us on credit terms, so your order is "
            "released at once: PDFs can be downloaded and printed copies are posted "
            "before the invoice is paid.",
            "public_sector": "Public-sector organisations buy from us on credit terms, so your "
            "order is released at once: PDFs can be downloaded and printed copies are "
            "posted before the invoice is paid.",
            "unverified": "Your email address is not verified, so we cannot offer credit terms "
            "yet: your PDFs and printed copies are released when the invoice is paid, or "
            "sooner if we approve credit for your order.",
            "unknown": "We do not recognise your email address as belonging to an organisation "
            "we supply on credit, so your PDFs and printed copies are released when the "
            "invoice is paid, or sooner if we approve credit for your order.",
            "on_stop": "Your organisation's account is on hold, so your PDFs and printed copies "
            "are released when the invoice is paid, or sooner if we approve credit for "
            "your order. Please contact us about your account.",
        }[self.value]


#: Shared email domains of the public sector (suffixes: ``x@leeds.gov.uk`` is on ``gov.uk``),
#: seeded into the administrators' editable list.
PUBLIC_SECTOR_DOMAINS = (
    "gov.uk",
    "gov.scot",
    "gov.wales",
    "nhs.uk",
    "nhs.net",
    "police.uk",
    "mod.uk",
    "ac.uk",
    "sch.uk",
)


def on_domain(email: str, domains) -> bool:
    """Whether the address's domain equals, or is a subdomain of, one of ``domains``: a suffix
    match cut at labels (``x@leeds.gov.uk`` is on ``gov.uk``; ``x@gov.uk.evil.com`` and
    ``x@notgov.uk`` are not)."""
    _, at, domain = email.strip().lower().rpartition("@")
    if not at or not domain:
        return False
    labels = domain.removesuffix(".").split(".")
    listed = {d.strip().lower() for d in domains}
    return any(".".join(labels[i:]) in listed for i in range(len(labels)))


def credit_terms(
    person: Person, email: str, *, on_stop: bool, public_sector_domains
) -> CreditTerms:
    """Whether an invoice order from ``person`` (buying as ``email``) is released when placed.

    The one rule, asked by the checkout review, placing an order and switching an order to
    invoice: released for a verified address that belongs to a known organisation (subscribing
    or not; ``person.membership``) or falls under a public-sector domain; waiting for a guest,
    an unverified address, an address we cannot place, and for anyone whose organisation is on
    stop (``on_stop``), whatever their domain.
    """
    if not (person.signed_in and person.email_verified):
        return CreditTerms.UNVERIFIED
    if on_stop:
        return CreditTerms.ON_STOP
    if person.membership is not None:
        return CreditTerms.ORGANISATION
    if on_domain(email, public_sector_domains):
        return CreditTerms.PUBLIC_SECTOR
    return CreditTerms.UNKNOWN
