"""The orders list's report filter offers every report, published or not, kept with the catalogue:
a report added or renamed is offered on the next view, and the list reads no report to offer
them."""

from portal.catalogue.models import Report
from portal.extensions import db


def _offered(client) -> str:
    page = client.get("/admin/orders").get_data(as_text=True)
    return page.split('name="report"', 1)[1].split("</select>", 1)[0]


def test_every_report_is_offered_and_kept(app, client, admin, create_report, count_queries):
    create_report(title="Published report")
    create_report(title="Draft report", is_published=False)
    offered = _offered(client)
    assert "Published report" in offered and "Draft report" in offered
    with count_queries() as statements:
        client.get("/admin/orders")
    assert not [s for s in statements if "FROM reports" in s]


def test_a_renamed_report_is_offered_by_its_new_name_at_once(app, client, admin, create_report):
    report = create_report(title="Old name")
    assert "Old name" in _offered(client)
    with app.app_context():
        db.session.get(Report, report.id).title = "New name"
        db.session.commit()
    offered = _offered(client)
    assert "New name" in offered and "Old name" not in offered


def test_the_chosen_report_stays_chosen(client, admin, create_report):
    create_report(title="First <report>")
    chosen = create_report(title="Second report")
    client.get("/admin/orders")  # the options kept, none chosen
    page = client.get(f"/admin/orders?report={chosen.id}").get_data(as_text=True)
    offered = page.split('name="report"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{chosen.id}" selected>Second report</option>' in offered
    assert offered.count("selected") == 1
    assert "First &lt;report&gt;" in offered
    assert "selected" not in _offered(client)  # the kept options are left as they were
