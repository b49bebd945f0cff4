"""Every feature's models, imported together so the metadata (and so migrations) sees each table."""

from portal.accounts.models import RecoveryCode, SignedInSession, User
from portal.audit.models import AuditEntry
from portal.basket.models import Basket, BasketLine
from portal.catalogue.models import Report, ReportFormat, Topic
from portal.documents.models import Document, DocumentCopy, DocumentSequence
from portal.downloads.models import Download
from portal.email.models import OutboxAttachment, OutboxEmail
from portal.orders.models import Order, OrderEvent, OrderLine
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
    PublicSectorDomain,
)
from portal.payments.models import (
    CheckoutAttempt,
    InvoicePayment,
    Refund,
    RefundLine,
    StripeEvent,
)

__all__ = [
    "AuditEntry",
    "Basket",
    "BasketLine",
    "CheckoutAttempt",
    "Document",
    "DocumentCopy",
    "DocumentSequence",
    "Download",
    "InsightSubscription",
    "InvoicePayment",
    "NamedMember",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Organisation",
    "OrganisationDomain",
    "OutboxAttachment",
    "OutboxEmail",
    "PublicSectorDomain",
    "RecoveryCode",
    "Refund",
    "RefundLine",
    "Report",
    "ReportFormat",
    "SignedInSession",
    "StripeEvent",
    "Topic",
    "User",
]
