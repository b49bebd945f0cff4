"""Document numbers: one gap-free sequence per kind, taken in the caller's transaction."""

import pytest
from sqlalchemy import delete, select

from portal.documents import services
from portal.documents.models import DocumentKind, DocumentSequence
from portal.extensions import db
from tests.documents.helpers import TODAY


def test_each_kind_counts_from_one_without_gaps(ctx):
    taken = [services.take_number(DocumentKind.INVOICE) for _ in range(3)]
    assert taken == [1, 2, 3]
    assert services.take_number(DocumentKind.RECEIPT) == 1
    assert services.take_number(DocumentKind.CREDIT_NOTE) == 1
    assert services.take_number(DocumentKind.INVOICE) == 4


def test_a_rolled_back_transaction_gives_its_number_back(ctx):
    assert services.take_number(DocumentKind.INVOICE) == 1
    db.session.commit()
    assert services.take_number(DocumentKind.INVOICE) == 2
    db.session.rollback()
    assert services.take_number(DocumentKind.INVOICE) == 2


@pytest.mark.parametrize(
    ("kind", "sequence_number", "number"),
    [
        (DocumentKind.INVOICE, 123, "INV-000123"),
        (DocumentKind.RECEIPT, 45, "RCT-000045"),
        (DocumentKind.CREDIT_NOTE, 1, "CRN-000001"),
    ],
)
def test_numbers_are_the_prefix_and_six_digits(kind, sequence_number, number):
    assert services.document_number(kind, sequence_number) == number


def test_a_missing_sequence_is_restored_after_the_highest_number_issued(ctx, place_guest_order):
    for _ in range(2):
        services.issue_invoice(place_guest_order(), TODAY)
    db.session.execute(delete(DocumentSequence).where(DocumentSequence.kind == "invoice"))
    assert services.take_number(DocumentKind.INVOICE) == 3
    assert services.take_number(DocumentKind.INVOICE) == 4
    assert (
        db.session.scalar(
            select(DocumentSequence.next_number).where(DocumentSequence.kind == "invoice")
        )
        == 5
    )
