"""Every feature's models, imported together so the metadata (and so migrations) sees each table."""

from portal.accounts.models import RecoveryCode, SignedInSession, User
from portal.addresses.models import SavedAddress
from portal.audit.models import AuditEntry
from portal.basket.models import Basket, BasketLine
from portal.catalogue.models import Report, ReportFormat, Topic
from portal.content.models import ContentVersion, OrderAgreement
from portal.documents.models import Document, DocumentCopy, DocumentSequence
from portal.downloads.models import Download
from portal.email.models import OutboxAttachment, OutboxEmail
from portal.insight.models import (
    InsightRequest,
    InsightRequestEvent,
    SubscriptionReminder,
)
from portal.orders.models import Order, OrderEvent, OrderLine
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
    OrganisationManager,
    PublicSectorDomain,
    SubscriptionContact,
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
    "ContentVersion",
    "Document",
    "DocumentCopy",
    "DocumentSequence",
    "Download",
    "InsightRequest",
    "InsightRequestEvent",
    "InsightSubscription",
    "InvoicePayment",
    "NamedMember",
    "Order",
    "OrderAgreement",
    "OrderEvent",
    "OrderLine",
    "Organisation",
    "OrganisationDomain",
    "OrganisationManager",
    "OutboxAttachment",
    "OutboxEmail",
    "PublicSectorDomain",
    "RecoveryCode",
    "Refund",
    "RefundLine",
    "Report",
    "ReportFormat",
    "SavedAddress",
    "SignedInSession",
    "StripeEvent",
    "SubscriptionContact",
    "SubscriptionReminder",
    "Topic",
    "User",
]
