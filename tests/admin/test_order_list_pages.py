"""The admin orders list a page at a time: each page starts from the order at the edge of the
one before (keyset paging), so every order shows exactly once, in order, however the orders tie,
and every page has an address of its own that works without JavaScript."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from itertools import chain

import pytest

from portal.admin import order_queries

NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)
REFERENCE = re.compile(r"INS-\d{4}-\d{6}")
LINK = re.compile(r'href="([^"]+)" rel="(prev|next)"')


def _page(client, path: str) -> tuple[list[str], dict[str, str]]:
    """The references a list page shows (in order, once each) and its page links by rel."""
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = list(dict.fromkeys(REFERENCE.findall(html)))
    links = {rel: unescape(href) for href, rel in LINK.findall(html)}
    return shown, links


def _walk(client, first: str, rel: str) -> list[list[str]]:
    pages, path = [], first
    while path:
        shown, links = _page(client, path)
        pages.append(shown)
        path = links.get(rel)
        assert len(pages) < 20, "the links go round in circles"
    return pages


@pytest.fixture
def orders(app, admin, create_order, monkeypatch):
    """Seven orders, three of them placed at the same moment and two of the same total: their
    references, oldest first (ties in the order they were made, as the list breaks them by id)."""
    monkeypatch.setattr(order_queries, "PAGE_SIZE", 2)
    moments = [NOON, NOON + timedelta(minutes=1), *[NOON + timedelta(minutes=2)] * 3]
    moments += [NOON + timedelta(minutes=3, microseconds=1), NOON + timedelta(minutes=4)]
    return [
        create_order(pdf=1 + n % 2, created_at=moment).reference for n, moment in enumerate(moments)
    ]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_next_page_links_show_every_order_once_in_order(client, orders, sort):
    expected = orders if sort == "oldest" else orders[::-1]
    pages = _walk(client, f"/admin/orders?sort={sort}", "next")
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert list(chain.from_iterable(pages)) == expected


def test_previous_page_links_walk_back_to_the_first_page(client, orders):
    forwards = _walk(client, "/admin/orders?sort=oldest", "next")
    last_page = f"/admin/orders?sort=oldest&after={_after_of(client, forwards)}"
    backwards = _walk(client, last_page, "prev")
    assert backwards[::-1] == forwards
    _, links = _page(client, "/admin/orders?sort=oldest")
    assert "prev" not in links  # the first page has none


def _after_of(client, forwards) -> str:
    """The ``after`` of the last page's address, found by following the links."""
    path = "/admin/orders?sort=oldest"
    for _ in forwards[:-1]:
        path = _page(client, path)[1]["next"]
    return re.search(r"after=([^&]+)", path).group(1)


def test_orders_of_equal_totals_are_paged_without_loss(client, orders):
    pages = _walk(client, "/admin/orders?sort=total", "next")
    shown = list(chain.from_iterable(pages))
    assert sorted(shown) == sorted(orders) and len(shown) == len(orders)


def test_the_links_keep_the_filters_and_sort(client, orders):
    _, links = _page(client, "/admin/orders?sort=oldest&method=card&page=3")
    assert "sort=oldest" in links["next"] and "method=card" in links["next"]
    assert "page=" not in links["next"]


@pytest.mark.parametrize(
    "place",
    ["", "abc", "1_", "_1", "1_2_3", "\uff11_\uff12", "-_1", "99999999999999999999_1", "1_-2"],
)
def test_a_made_up_place_shows_the_first_page(client, orders, place):
    for name in ("after", "before"):
        response = client.get("/admin/orders", query_string={"sort": "oldest", name: place})
        assert response.status_code == 200
        assert REFERENCE.findall(response.get_data(as_text=True))[0] == orders[0]


@pytest.mark.parametrize(("sort", "sign"), [("oldest", ""), ("newest", "-"), ("total", "-")])
@pytest.mark.parametrize("value", ["99999999999999999", "999999999999999999"])
def test_a_place_past_the_end_shows_no_orders_and_no_next_page(client, orders, sort, sign, value):
    """Beyond the last order in the sort's direction, by far: nothing, and no error."""
    shown, links = _page(client, f"/admin/orders?sort={sort}&after={sign}{value}_1")
    assert shown == [] and "next" not in links
