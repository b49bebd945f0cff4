"""The basket: adding from the report page, changing, removing, and what bad input gets."""

import pytest
from sqlalchemy import func, select

from portal.basket.models import BasketLine
from portal.extensions import db
from portal.pricing import FormatKind


def _format_id(report, kind):
    return next(f.id for f in report.formats if f.kind is kind)


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift")


@pytest.fixture
def add(post_form, report):
    def add_to_basket(kind=FormatKind.PRINT, quantity="2", **extra):
        data = {"format_id": str(_format_id(report, kind)), "quantity": quantity, **extra}
        return post_form(f"/reports/{report.slug}", data)

    return add_to_basket


def _line_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(BasketLine))


def test_a_guest_adds_printed_copies_and_a_pdf(client, add):
    assert add().headers["Location"] == "/basket"
    assert add(FormatKind.PDF, quantity="").status_code == 302
    page = client.get("/basket").get_data(as_text=True)
    assert "Channel shift" in page
    assert "£350.00" in page  # 2 printed copies at £175.00
    assert "£145.00" in page
    assert "£495.00" in page  # total
    # Each line says what it costs; the prompt to sign in is a hint of its own, once.
    assert page.count('<span class="govuk-body-s">Standard price</span>') == 2
    assert page.count("Sign in if your organisation subscribes to Insight") == 1
    assert 'class="govuk-inset-text app-price-hint"' in page
    # The header counts the basket's items, in words for screen readers.
    assert 'Basket (2<span class="govuk-visually-hidden"> items</span>)' in page


def test_the_header_counts_a_signed_in_persons_basket(client, add, auth, create_user):
    auth.sign_in(create_user(email="ann@example.com").email)
    page = client.get("/reports").get_data(as_text=True)
    assert "Basket (" not in page  # nothing in it yet
    add()
    page = client.get("/reports").get_data(as_text=True)
    assert 'Basket (1<span class="govuk-visually-hidden"> item</span>)' in page
    assert "Administration" not in page


def test_adding_again_adds_up_printed_copies_but_not_pdfs(app, client, add):
    add(quantity="2")
    add(quantity="3")
    add(FormatKind.PDF)
    add(FormatKind.PDF)
    with app.app_context():
        quantities = sorted(db.session.scalars(select(BasketLine.quantity)))
    assert quantities == [1, 5]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Enter a number of copies of 1 or more"),
        ("-3", "Enter a number of copies of 1 or more"),
        ("two", "Enter the number of copies as a whole number, like 2"),
        ("", "Enter the number of copies as a whole number, like 2"),
        ("1.5", "Enter the number of copies as a whole number, like 2"),
        ("99999999999999999999", "You can order up to 20 printed copies of this report in one"),
        ("11", "Only 10 printed copies are available"),
        ("١٢", "Enter the number of copies as a whole number, like 2"),
    ],
)
def test_bad_quantities_are_refused_with_a_message(app, add, quantity, message):
    response = add(quantity=quantity)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and message in page
    assert _line_count(app) == 0


@pytest.mark.parametrize("format_id", ["", "abc", "99999", "-1", "1e3", "²"])
def test_a_format_that_is_not_for_sale_is_refused(app, post_form, report, format_id):
    response = post_form(f"/reports/{report.slug}", {"format_id": format_id, "quantity": "1"})
    assert response.status_code == 400
    assert "Choose a format of this report" in response.get_data(as_text=True)
    assert _line_count(app) == 0


def test_a_format_of_another_report_is_refused(app, post_form, report, create_report):
    other = create_report()
    response = post_form(
        f"/reports/{report.slug}",
        {"format_id": str(_format_id(other, FormatKind.PDF)), "quantity": "1"},
    )
    assert response.status_code == 400 and _line_count(app) == 0


def test_quantity_can_be_changed_and_lines_removed(app, client, add, post_form):
    add(quantity="2")
    with app.app_context():
        line_id = db.session.scalar(select(BasketLine.id))
    response = post_form(
        f"/basket/lines/{line_id}/quantity", {"quantity": "4"}, form_page="/basket"
    )
    assert response.status_code == 302
    assert "£700.00" in client.get("/basket").get_data(as_text=True)

    refused = post_form(f"/basket/lines/{line_id}/quantity", {"quantity": "0"}, form_page="/basket")
    assert refused.status_code == 400
    assert "Enter a number of copies of 1 or more" in refused.get_data(as_text=True)

    post_form(f"/basket/lines/{line_id}/remove", {}, form_page="/basket")
    assert "Your basket is empty" in client.get("/basket").get_data(as_text=True)


def test_someone_elses_basket_line_cannot_be_touched(app, client, add, report):
    add(quantity="2")  # a guest's basket
    with app.app_context():
        line_id = db.session.scalar(select(BasketLine.id))
    other = app.test_client()
    from tests.helpers import csrf_token

    token = csrf_token(other, f"/reports/{report.slug}")
    other.post(f"/basket/lines/{line_id}/remove", data={"csrf_token": token})
    other.post(f"/basket/lines/{line_id}/quantity", data={"csrf_token": token, "quantity": "9"})
    with app.app_context():
        assert db.session.scalar(select(BasketLine.quantity)) == 2


def test_a_guests_basket_joins_the_account_basket_at_sign_in(app, client, add, auth, create_user):
    user = create_user()
    add(quantity="2")
    auth.sign_in(user.email)
    page = client.get("/basket").get_data(as_text=True)
    assert "Channel shift" in page and "£350.00" in page
    auth.sign_out()
    assert "Your basket is empty" in client.get("/basket").get_data(as_text=True)
    auth.sign_in(user.email)
    assert "£350.00" in client.get("/basket").get_data(as_text=True)


def test_empty_basket(client, add, post_form):
    add()
    post_form("/basket/empty", {}, form_page="/basket")
    assert "Your basket is empty" in client.get("/basket").get_data(as_text=True)


def test_basket_posts_need_the_csrf_token(app, client, add):
    add()
    with app.app_context():
        line_id = db.session.scalar(select(BasketLine.id))
    assert client.post(f"/basket/lines/{line_id}/remove").status_code == 400
    assert client.post("/basket/empty").status_code == 400
    assert _line_count(app) == 1
