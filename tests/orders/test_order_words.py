"""What the buyer's order page says of an order: each line's reason as it was fixed when the
order was placed, and the order's state in words that never call a free order paid."""

from sqlalchemy import update

from portal.extensions import db
from portal.orders.models import OrderLine, OrderState
from portal.orders.services import Buyer


def test_an_old_order_keeps_the_reason_it_was_placed_with(
    app, client, auth, create_user, create_order
):
    user = create_user(email="ann@example.com", name="Ann Lee")
    order = create_order(buyer=Buyer.from_user(user), state=OrderState.PAID)
    assert order.lines[0].reason == "Standard price"
    # A line placed before today's wording keeps the words it was placed with.
    with app.app_context():
        db.session.execute(
            update(OrderLine)
            .where(OrderLine.order_id == order.id)
            .values(reason="Sign in if your organisation subscribes to Insight")
        )
        db.session.commit()
    auth.sign_in(user.email)
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Sign in if your organisation subscribes to Insight" in page
    assert ">Paid<" in page  # a card order's state, as ever
    assert "Thank you — order" not in page  # the panel is only for coming back from paying
