"""The retention rules: personal data that is not a financial record is kept only as long as
configuration says, then erased by the daily ``erase-expired-data`` job.

- where downloads were made from (IP address, browser): ``RETENTION_DOWNLOAD_LOG_MONTHS``;
- sign-in history (each signed-in session, with its address and browser), counted from when it
  was last used: ``RETENTION_SIGN_IN_MONTHS``;
- a guest's name, email address, delivery and billing details on their orders:
  ``RETENTION_GUEST_ORDER_YEARS`` after the order; the order is then kept, anonymised as when an
  account is closed, as the financial record.

Each rule picks only what is still to erase, so running the job twice changes nothing more.
"""

import calendar
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select

from portal.accounts.models import SignedInSession
from portal.data_rights.erasure import erase_download_addresses, erased_order_values
from portal.downloads.models import Download
from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.orders.models import Order, OrderLine


@dataclass(frozen=True)
class Erased:
    download_addresses: int
    sign_ins: int
    guest_orders: int


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (the last day of a shorter month)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def erase_expired(now: datetime) -> Erased:
    """Apply every retention rule as at ``now`` (UTC); flushes, the caller commits."""
    config = current_app.config
    downloads_before = months_before(now, config["RETENTION_DOWNLOAD_LOG_MONTHS"])
    sign_ins_before = months_before(now, config["RETENTION_SIGN_IN_MONTHS"])
    orders_before = months_before(now, 12 * config["RETENTION_GUEST_ORDER_YEARS"])
    return Erased(
        download_addresses=erase_download_addresses(Download.at < downloads_before),
        sign_ins=_erase_sign_ins(sign_ins_before),
        guest_orders=_erase_guest_orders(orders_before, now),
    )


def _erase_sign_ins(before: datetime) -> int:
    result = db.session.execute(
        delete(SignedInSession).where(SignedInSession.last_seen_at < before),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def _erase_guest_orders(before: datetime, now: datetime) -> int:
    orders = list(
        db.session.scalars(
            select(Order).where(
                Order.user_id.is_(None), Order.erased_at.is_(None), Order.created_at < before
            )
        )
    )
    for order in orders:
        values = erased_order_values(
            f"erased-order-{order.id}@erased.invalid", f"Erased guest {order.id}", now
        )
        for name, value in values.items():
            setattr(order, name, value)
        # The emails about it go too: they name the guest (the documents stay with the order).
        db.session.execute(delete(OutboxEmail).where(OutboxEmail.order_id == order.id))
        erase_download_addresses(
            Download.order_line_id.in_(select(OrderLine.id).where(OrderLine.order_id == order.id))
        )
    db.session.flush()
    return len(orders)
