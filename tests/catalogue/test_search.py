"""Searching, filtering, sorting and paging the catalogue, all from the URL of a GET form."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from portal.catalogue.models import Topic
from portal.catalogue.search import PER_PAGE, search_words
from portal.demo.seed import seed_demo
from portal.extensions import db
from portal.storage import get_storage

TARGET = "Modern public services: transformation in practice"


def _titles(page: str) -> list[str]:
    """The report titles listed on a catalogue page, in order."""
    return re.findall(r'app-report-card__title">\s*<a [^>]*>([^<]+)</a>', page)


def _look(client, **args) -> tuple[int, str]:
    response = client.get("/reports", query_string=args)
    return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def topics(app):
    with app.app_context():
        made = {name: Topic(name=name, slug=name.lower()) for name in ("Housing", "Security")}
        db.session.add_all(made.values())
        db.session.commit()
        return {name: topic.id for name, topic in made.items()}


#: (slug, title, series, published, summary, contents, authors, topics)
SHELF = [
    ("damp-homes", "Damp homes and tenant data", "Insight briefings", date(2024, 2, 13),
     "Finding homes at risk from mould.", "The duty to act", "Owen Pritchard", ("Housing",)),
    ("repairs-online", "Repairs online", "Insight briefings", date(2018, 1, 23),
     "Tenants book repairs online, and damp homes are found sooner.", "Booking repairs",
     "Tom Evans", ("Housing",)),
    ("ransomware", "Recovering from ransomware", "Cyber resilience", date(2019, 8, 27),
     "Three councils recover from an attack.", "Backups\nDamp homes and server rooms",
     "Sarah Whitfield", ("Security",)),
    ("shared-services", "Sharing services", "Cyber resilience", date(2019, 6, 1),
     "Councils share a back office.", "Governance", "Ruth Llewellyn", ()),
]  # fmt: skip


@pytest.fixture
def shelf(app, create_report, topics):
    """Four reports: one with the words in its title, one in its summary, one in its contents
    and one by an author called Llewellyn, over two series, two topics and three years."""
    for slug, title, series, published_on, summary, contents, authors, filed in SHELF:
        with app.app_context():
            filed_under = [db.session.get(Topic, topics[name]) for name in filed]
        create_report(
            slug=slug,
            title=title,
            series=series,
            published_on=published_on,
            summary=summary,
            contents=contents,
            authors=authors,
            topics=filed_under,
        )


def test_title_matches_rank_above_summary_above_contents(client, shelf):
    status, page = _look(client, q="damp homes")
    assert status == 200
    assert _titles(page) == [
        "Damp homes and tenant data",
        "Repairs online",
        "Recovering from ransomware",
    ]
    assert "3 reports matching “damp homes”, of 4 in the catalogue" in page


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Llewellyn", ["Sharing services"]),  # authors are searched
        ("governance", ["Sharing services"]),  # contents are searched
        ("recovers", ["Recovering from ransomware"]),  # words match their stems
        ("DAMP homes MOULD", ["Damp homes and tenant data"]),  # every word must be there
        ("mould ransomware", []),
    ],
)
def test_search_reads_titles_summaries_contents_and_authors(client, shelf, typed, found):
    assert _titles(_look(client, q=typed)[1]) == found


def test_unpublished_reports_are_never_found(client, create_report):
    create_report(title="Published damp guide", slug="published")
    create_report(title="Draft damp guide", slug="draft", is_published=False)
    assert _titles(_look(client, q="damp")[1]) == ["Published damp guide"]


HOSTILE = [
    (
        '"damp homes"',
        ["Damp homes and tenant data", "Repairs online", "Recovering from ransomware"],
    ),
    ("damp AND homes", None),
    ("mould OR ransomware", []),
    ("NEAR(damp homes)", None),
    ("title:damp", []),
    ("damp*", ["Damp homes and tenant data", "Repairs online", "Recovering from ransomware"]),
    ("-damp", ["Damp homes and tenant data", "Repairs online", "Recovering from ransomware"]),
    ("damp\x00homes", None),
    ("damp " + "x" * 1000, []),
    ("damp " * 200, ["Damp homes and tenant data", "Repairs online", "Recovering from ransomware"]),
    ("'; DROP TABLE reports; --", []),
    ('"', "all"),
    ("()*:^", "all"),
    ("%_\\", "all"),
    ("\x00", "all"),
    ("   ", "all"),
    ("🏠 damp", ["Damp homes and tenant data", "Repairs online", "Recovering from ransomware"]),
]


@pytest.mark.parametrize(("typed", "found"), HOSTILE)
def test_any_text_is_read_as_plain_words(client, shelf, typed, found):
    status, page = _look(client, q=typed)
    assert status == 200
    if found == "all":  # nothing to search for: the whole catalogue
        assert len(_titles(page)) == 4
    elif found is None:  # operators are words like any other: "and" is in none of the titles
        assert "Damp homes and tenant data" in _titles(page) or "No reports match" in page
    else:
        assert _titles(page) == found
        assert found or "No reports match your search" in page
    assert "\x00" not in page


def test_nul_characters_elsewhere_are_still_refused(client, shelf):
    assert client.get("/reports", query_string={"series": "\x00"}).status_code == 400


def test_search_words_are_letters_and_digits_only():
    assert search_words('Case "studies" AND -2006* NEAR(x) a_b') == [
        "case",
        "studies",
        "and",
        "2006",
        "near",
        "x",
        "a",
        "b",
    ]
    assert len(search_words("word " * 100)) == 12
    assert search_words("x" * 1000) == ["x" * 40]


def test_the_typed_words_are_shown_back_escaped(client, shelf):
    page = _look(client, q='damp <script>"')[1]
    assert 'value="damp &lt;script&gt;&#34;"' in page
    assert '<script>"' not in page


@pytest.mark.parametrize(
    ("args", "found"),
    [
        ({"series": "Cyber resilience"}, ["Recovering from ransomware", "Sharing services"]),
        ({"year": "2019"}, ["Recovering from ransomware", "Sharing services"]),
        ({"topic": "housing"}, ["Damp homes and tenant data", "Repairs online"]),
        ({"topic": "housing", "year": "2018"}, ["Repairs online"]),
        (
            {"q": "damp", "series": "Insight briefings"},
            ["Damp homes and tenant data", "Repairs online"],
        ),
        ({"q": "damp", "topic": "security"}, ["Recovering from ransomware"]),
        ({"series": "Insight briefings", "year": "2019"}, []),
    ],
)
def test_filters_by_series_topic_and_year(client, shelf, args, found):
    status, page = _look(client, **args)
    assert status == 200
    assert _titles(page) == found


@pytest.mark.parametrize(
    "args",
    [
        {"series": "No such series"},
        {"topic": "no-such-topic"},
        {"year": "1999"},
        {"year": "twenty"},
        {"year": "9" * 40},
        {"sort": "price"},
        {"sort": "relevance"},  # no words: there is nothing to rank
        {"page": "-3"},
        {"page": "two"},
        {"q": "\x00"},
    ],
)
def test_unknown_filter_values_are_ignored(client, shelf, args):
    status, page = _look(client, **args)
    assert status == 200
    assert _titles(page) == _titles(_look(client)[1])
    assert len(_titles(page)) == 4


def test_filters_offer_only_what_published_reports_have(client, shelf, create_report):
    create_report(series="Hidden series", published_on=date(1999, 1, 1), is_published=False)
    page = _look(client)[1]
    assert '<option value="Cyber resilience">' in page and "Hidden series" not in page
    assert '<option value="2024">' in page and '<option value="1999">' not in page
    assert '<option value="housing">Housing</option>' in page


def test_sorting_by_title_and_by_newest(client, shelf):
    assert _titles(_look(client, sort="title")[1]) == [
        "Damp homes and tenant data",
        "Recovering from ransomware",
        "Repairs online",
        "Sharing services",
    ]
    assert _titles(_look(client)[1]) == [
        "Damp homes and tenant data",
        "Recovering from ransomware",
        "Sharing services",
        "Repairs online",
    ]
    assert _titles(_look(client, q="damp", sort="newest")[1]) == [
        "Damp homes and tenant data",
        "Recovering from ransomware",
        "Repairs online",
    ]


@pytest.fixture
def shelves(create_report):
    """Two and a half pages of reports, titled in order of age (Report 01 the newest)."""
    for n in range(1, 2 * PER_PAGE + 6):
        create_report(
            title=f"Report {n:02d}", slug=f"r-{n}", published_on=date(2026, 1, 1) - timedelta(n)
        )


@pytest.mark.parametrize(
    ("page", "first", "last", "shown"),
    [
        ("1", 1, PER_PAGE, 1),
        ("2", PER_PAGE + 1, 2 * PER_PAGE, 2),
        ("3", 2 * PER_PAGE + 1, 2 * PER_PAGE + 5, 3),
        ("4", 2 * PER_PAGE + 1, 2 * PER_PAGE + 5, 3),  # past the end: the last page
        ("1" + "0" * 30, 2 * PER_PAGE + 1, 2 * PER_PAGE + 5, 3),
        ("0", 1, PER_PAGE, 1),
    ],
)
def test_pages_and_pages_past_the_end(client, shelves, page, first, last, shown):
    status, html = _look(client, sort="title", page=page)
    assert status == 200
    assert _titles(html) == [f"Report {n:02d}" for n in range(first, last + 1)]
    assert f"Showing {first} to {last} of {2 * PER_PAGE + 5} reports" in html
    assert f"(page {shown} of 3)" in html


def test_page_links_keep_the_search_and_filters(client, shelves):
    html = _look(client, q="report", sort="title", page="2")[1]
    assert 'href="/reports?q=report&amp;sort=title&amp;page=3"' in html
    assert 'href="/reports?q=report&amp;sort=title"' in html  # page 1 needs no number
    assert 'rel="next"' in html and 'rel="prev"' in html


def test_searching_case_studies_finds_transformation_in_practice_first(app, client):
    with app.app_context():
        seed_demo(get_storage(), date(2026, 11, 26))
        db.session.commit()
    status, page = _look(client, q="case studies")
    assert status == 200
    assert _titles(page)[0] == TARGET
    assert len(_titles(_look(client)[1])) == PER_PAGE  # the back catalogue runs to pages


@pytest.mark.postgres_only
def test_postgresql_search_is_served_by_the_gin_index(app, shelf):
    with app.app_context():
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.scalars(
            text(
                "EXPLAIN SELECT id FROM reports "
                "WHERE search_document @@ plainto_tsquery('english', 'damp homes')"
            )
        ).all()
    assert "ix_reports_search" in "\n".join(plan)


@pytest.mark.postgres_only
def test_postgresql_keeps_the_search_document_of_every_change(app, shelf):
    with app.app_context():
        db.session.execute(
            text("UPDATE reports SET title = 'Zebra crossings' WHERE slug = 'ransomware'")
        )
        found = db.session.scalars(
            text(
                "SELECT slug FROM reports "
                "WHERE search_document @@ plainto_tsquery('english', 'zebra crossing')"
            )
        ).all()
    assert found == ["ransomware"]


@pytest.mark.postgres_only
def test_postgresql_stop_words_alone_find_nothing_without_error(client, shelf):
    status, page = _look(client, q="the and of")
    assert status == 200
    assert "No reports match your search" in page
