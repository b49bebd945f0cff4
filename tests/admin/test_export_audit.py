"""Every export of personal data is written to the audit log: who, what, which filters, how many
rows."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.catalogue.models import ReportFormat
from portal.extensions import db
from portal.orders.models import PaymentMethod
from portal.orders.services import Buyer, InvoiceDetails
from portal.pricing import GUEST

# Each export route: the query string it is asked with, the audit action, and the filters the
# entry must record.
EXPORTS = {
    "/admin/exports/orders.csv": (
        "?from=2026-07-01&to=2026-07-31",
        "export.orders",
        {"from": "2026-07-01", "to": "2026-07-31"},
    ),
    "/admin/exports/downloads.csv": (
        "?from=2026-07-01&to=2026-07-31",
        "export.downloads",
        {"from": "2026-07-01", "to": "2026-07-31"},
    ),
    "/admin/exports/documents.csv": (
        "?from=2026-07-01&to=2026-07-31",
        "export.documents",
        {"from": "2026-07-01", "to": "2026-07-31"},
    ),
    "/admin/organisations/export.csv": ("", "export.subscribers", {}),
    "/admin/renewals.csv": ("", "export.renewals", {}),
}


def audit_entries(app) -> list[AuditEntry]:
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        db.session.expunge_all()
        return entries


def test_every_csv_route_is_an_audited_export(app):
    csv_routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv")}
    assert csv_routes == set(EXPORTS)


@pytest.mark.parametrize("path", list(EXPORTS))
def test_each_export_writes_one_audit_entry(app, client, admin, path):
    query, action, filters = EXPORTS[path]

    response = client.get(path + query)

    assert response.status_code == 200
    response.get_data()  # the whole file, streamed
    [entry] = [e for e in audit_entries(app) if e.action.startswith("export.")]
    assert (entry.action, entry.actor_user_id, entry.actor_email) == (
        action,
        admin.id,
        admin.email,
    )
    assert entry.target_type == "export"
    assert {key: entry.after[key] for key in filters} == filters
    assert entry.after["rows"] == len(response.get_data(as_text=True).splitlines()) - 1


def test_the_row_count_is_the_number_of_rows_exported(
    app, client, admin, create_report, create_order
):
    pdf_id = create_report().formats[0].id
    with app.app_context():
        pdf = db.session.get(ReportFormat, pdf_id)
        for number in range(3):
            create_order(
                [(pdf, 1)],
                buyer=Buyer(f"buyer{number}@eastbridge.gov.uk", "Jo Evans", "Eastbridge"),
                person=GUEST,
                on=date(2026, 7, 2),
                method=PaymentMethod.INVOICE,
                invoice=InvoiceDetails("PO-1", "Town Hall", "", "Eastbridge", "EB1 1AA", ""),
            )
        db.session.commit()

    response = client.get("/admin/exports/orders.csv?from=2000-01-01&to=2100-12-31")

    rows = len(response.get_data(as_text=True).splitlines()) - 1
    assert rows == 3
    [entry] = [e for e in audit_entries(app) if e.action == "export.orders"]
    assert entry.after["rows"] == 3


def test_an_export_refused_for_its_dates_writes_nothing(app, client, admin):
    response = client.get("/admin/exports/orders.csv?from=2026-07-31&to=2026-07-01")

    assert response.status_code == 302
    assert not [e for e in audit_entries(app) if e.action.startswith("export.")]
