"""After every fault (this file runs last): what must hold whatever failed, checked in the
database, the mail server and the logs."""

import json
from collections import defaultdict

from tests.faults.buyer import ANSWERS


def _rows(stack, sql: str) -> list[tuple]:
    with stack.database() as connection:
        return connection.execute(sql).fetchall()


def test_each_paid_order_has_one_payment_one_receipt_and_one_receipt_email(stack):
    paid = _rows(
        stack,
        "SELECT o.id, o.reference,"
        " (SELECT count(*) FROM checkout_attempts a WHERE a.order_id = o.id"
        "   AND a.paid_at IS NOT NULL),"
        " (SELECT count(*) FROM documents d WHERE d.order_id = o.id AND d.kind = 'receipt'),"
        " (SELECT count(*) FROM outbox_emails e WHERE e.order_id = o.id"
        "   AND e.template = 'receipt')"
        " FROM orders o WHERE o.state IN ('paid', 'fulfilled') AND o.payment_method = 'card'",
    )
    assert paid, "no card order was paid during the run"
    for _id, reference, payments, receipts, receipt_emails in paid:
        assert (payments, receipts, receipt_emails) == (1, 1, 1), reference


def test_stock_is_what_it_was_less_what_was_sold(stack):
    with stack.database() as connection:
        sold = dict(
            connection.execute(
                "SELECT l.report_format_id, sum(l.quantity) FROM order_lines l"
                " JOIN orders o ON o.id = l.order_id"
                " WHERE o.id > %s AND o.state <> 'cancelled' AND l.format_kind = 'print'"
                " GROUP BY l.report_format_id",
                (stack.orders_before,),
            )
        )
        now = dict(connection.execute("SELECT id, stock FROM report_formats WHERE kind = 'print'"))
    assert now == {
        format_id: copies - sold.get(format_id, 0)
        for format_id, copies in stack.initial_stock.items()
    }


def test_no_email_was_sent_twice_with_different_message_ids(stack):
    stored = dict(_rows(stack, "SELECT message_id, id FROM outbox_emails"))
    by_email = defaultdict(set)
    for message in stack.inbox.messages:
        assert message["Message-ID"] in stored, message["Subject"]
        by_email[(message["To"], message["Subject"], _body(message))].add(message["Message-ID"])
    twice = {key[:2]: ids for key, ids in by_email.items() if len(ids) > 1}
    assert twice == {}


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_no_request_was_answered_with_a_server_error(stack):
    assert [answer for answer in ANSWERS if answer[2] >= 500 and answer[2] != 503] == []
    served = []
    for line in stack.processes.log_tail("portal", lines=100_000).splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "status" in record:
            served.append(record)
        assert "WORKER TIMEOUT" not in line
    assert served, "the portal logged no requests"
    assert [r for r in served if r["status"] >= 500 and r["status"] != 503] == []
