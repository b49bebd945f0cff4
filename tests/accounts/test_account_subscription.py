"""The account page tells a subscriber's staff whether Insight is theirs today: the first and
the last day of a subscription are inside it, the days either side are not."""

from datetime import date

import pytest

from portal.accounts import views as account_views

YEAR = (date(2026, 4, 1), date(2027, 3, 31))


INSIDE = (
    "Northmere City Council subscribes to Insight until 31 March 2027. Reports are free to you."
)
OURS = "Your organisation's Insight subscription (Northmere City Council)"


@pytest.mark.parametrize(
    ("today", "sentence"),
    [
        (date(2026, 3, 31), f"{OURS} starts on 1 April 2026"),
        (date(2026, 4, 1), INSIDE),
        (date(2027, 3, 31), INSIDE),
        (date(2027, 4, 1), f"{OURS} ended on 31 March 2027"),
    ],
)
def test_the_first_and_last_day_of_a_subscription_are_inside_it(
    client, auth, create_organisation, create_user, monkeypatch, today, sentence
):
    create_organisation(name="Northmere City Council", domain="northmere.gov.uk", subscribed=YEAR)
    person = create_user(email="sam.patel@northmere.gov.uk")
    monkeypatch.setattr(account_views, "today_in_london", lambda: today)
    auth.sign_in(person.email)

    page = client.get("/account").get_data(as_text=True)

    assert sentence in page.replace("&#39;", "'")
