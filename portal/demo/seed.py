"""Demo data for a laptop: the first two reports of the transformation series and a back catalogue
of thirty more (``back_catalogue``), filed under topics; three subscribing organisations (one whose
subscription ends within 30 days, with a subscription contact who gets a reminder from
``flask send-reminders``) and five people to sign in as (one manages Northmere, where a colleague
has orders). Loading it twice changes nothing; rows are matched by their natural keys (report
slug, organisation name, email address), and existing rows are left as they are.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

from sqlalchemy import select
from stdnum import ean

from portal.accounts.models import User
from portal.accounts.services import hash_password
from portal.catalogue.covers import save_cover
from portal.catalogue.models import Report, ReportFormat, Topic
from portal.catalogue.topics import topic_slug
from portal.clock import utcnow
from portal.content import services as content
from portal.content.pages import ContentPage
from portal.demo.back_catalogue import BACK_CATALOGUE, FOUNDING, TOPICS
from portal.demo.covers import demo_cover_png
from portal.demo.organisation_orders import seed_organisation_orders
from portal.demo.sample_pdf import sample_report_pdf
from portal.downloads.samples import refresh_sample
from portal.extensions import db
from portal.organisations.models import (
    InsightSubscription,
    Organisation,
    OrganisationDomain,
    OrganisationKind,
    PublicSectorDomain,
    SubscriptionContact,
)
from portal.pricing import PUBLIC_SECTOR_DOMAINS, FormatKind
from portal.storage import Storage

SERIES = "Modern public services"

#: The first version of each content page: its title, and its Markdown in ``pages/<page>.md``.
PAGE_TITLES = {
    ContentPage.PRIVACY: "Privacy notice",
    ContentPage.TERMS: "Terms of sale",
    ContentPage.LICENCE: "PDF licence",
    ContentPage.COOKIES: "Cookies",
    ContentPage.ACCESSIBILITY: "Accessibility statement",
}
PAGES_FOLDER = Path(__file__).parent / "pages"

REPORTS = [
    {
        "slug": "challenge-of-transformation",
        "title": "Modern public services: challenge of transformation",
        "published_on": date(2006, 2, 14),
        "summary": (
            "What does it take to transform a public service rather than tidy it up? This report "
            "sets out what the research found: transformation starts at the top, with leaders who "
            "own the change and keep making the case for it.\n\n"
            "It looks squarely at why change stalls. Staff worry about their jobs, and many "
            "managers do not yet see what technology could let them do differently. There is no "
            "formula to follow: the councils that succeed use imagination, are willing to question "
            "practices they have relied on for years, and borrow bold ideas from other sectors "
            "and other countries."
        ),
        "contents": "\n".join(
            [
                "Why transformation, and why now",
                "Leadership: change that starts at the top",
                "Resistance to change: jobs, habits and understanding",
                "Seeing what ICT makes possible",
                "No single formula: imagination and innovation",
                "Challenging long-held practice",
                "Importing radical ideas from elsewhere",
                "Questions for your organisation",
            ]
        ),
    },
    {
        "slug": "transformation-in-practice",
        "title": "Modern public services: transformation in practice",
        "published_on": date(2006, 2, 14),
        "summary": (
            "Thirty-five case studies of councils that changed their services, and what happened. "
            "The cases range from whole-council programmes to changes in a single service and "
            "small, specialised projects, in cities and in the countryside, in unitary and in "
            "two-tier areas, and in partnership with other public bodies and private companies.\n\n"
            "The report compares the cases by the customers served, the services changed, the "
            "technology used and the kind of improvement achieved. Three forces drive them all: "
            "new ways of working, a better experience for the people who use the services, and "
            "getting the most from scarce money and staff."
        ),
        "contents": "\n".join(
            [
                "About the 35 case studies",
                "Whole-council transformation",
                "Service-specific transformation",
                "Niche transformation",
                "Urban and rural; single-tier and multi-tier",
                "Working in partnership with public and private bodies",
                "Analysis by customer group, service and technology",
                "The three drivers: new ways of operating, customer experience, scarce resources",
            ]
        ),
    },
]

# Illustrative prices, in pence.
PDF_PRICE = 14_500
PRINT_PRICE = 17_500
PRINT_STOCK = 250


@dataclass(frozen=True)
class DemoSignIn:
    email: str
    password: str
    name: str
    organisation: str
    who: str
    is_admin: bool = False


SIGN_INS = [
    DemoSignIn(
        "admin@socitm.example",
        "socitm-admin-demo",
        "Avery Admin",
        "Socitm",
        "administrator",
        is_admin=True,
    ),
    DemoSignIn(
        "sam.patel@northmere.gov.uk",
        "northmere-subscriber-demo",
        "Sam Patel",
        "Northmere City Council",
        "Insight subscriber (Northmere City Council)",
    ),
    DemoSignIn(
        "morgan.reid@northmere.gov.uk",
        "northmere-manager-demo",
        "Morgan Reid",
        "Northmere City Council",
        "organisation manager (Northmere City Council)",
    ),
    DemoSignIn(
        "jo.evans@eastbridge.gov.uk",
        "eastbridge-buyer-demo",
        "Jo Evans",
        "Eastbridge Borough Council",
        "non-subscriber (Eastbridge Borough Council)",
    ),
    DemoSignIn(
        "alex.morgan@southvale.gov.uk",
        "southvale-lapsed-demo",
        "Alex Morgan",
        "Southvale District Council",
        "staff of a lapsed subscriber (Southvale District Council)",
    ),
]


def financial_year_start(today: date) -> date:
    """1 April of the financial year that ``today`` falls in."""
    return date(today.year if today.month >= 4 else today.year - 1, 4, 1)


def _organisations(today: date) -> list[tuple[str, OrganisationKind, str, list[tuple[date, date]]]]:
    this_year = financial_year_start(today)
    last_year = this_year.replace(year=this_year.year - 1)
    return [
        # Subscribes this financial year.
        (
            "Northmere City Council",
            OrganisationKind.COUNCIL,
            "northmere.gov.uk",
            [(this_year, this_year.replace(year=this_year.year + 1, day=31, month=3))],
        ),
        # Subscribed last year and did not renew.
        (
            "Southvale District Council",
            OrganisationKind.COUNCIL,
            "southvale.gov.uk",
            [(last_year, this_year.replace(day=31, month=3))],
        ),
        # A year's subscription ending in three weeks: its contact is due the 30-day reminder.
        (
            ENDING_SOON,
            OrganisationKind.FIRE_AND_RESCUE,
            "westbrookfire.gov.uk",
            [(today + timedelta(days=21 - 364), today + timedelta(days=21))],
        ),
    ]


def demo_isbn(number: int) -> str:
    """A made-up ISBN-13 with a correct check digit, for the demo's ``number``th report."""
    digits = f"978190000{number:03d}"
    return digits + ean.calc_check_digit(digits)


def _formats(printed: bool) -> list[ReportFormat]:
    formats = [ReportFormat(kind=FormatKind.PDF, price_pence=PDF_PRICE, subscriber_price_pence=0)]
    if printed:
        formats.append(
            ReportFormat(
                kind=FormatKind.PRINT,
                price_pence=PRINT_PRICE,
                subscriber_price_pence=0,
                free_copies_per_organisation=1,
                stock=PRINT_STOCK,
            )
        )
    return formats


def _demo_reports() -> list[dict]:
    """Every demo report's columns, with ``topics`` (names) and ``printed``."""
    reports = [
        {
            **data,
            "series": SERIES,
            "authors": FOUNDING[data["slug"]][0],
            "topics": FOUNDING[data["slug"]][1],
            "printed": True,
        }
        for data in REPORTS
    ]
    for entry in BACK_CATALOGUE:
        data = entry._asdict()
        data["contents"] = "\n".join(entry.contents)
        reports.append(data)
    return reports


def _topics(added: list[str]) -> dict[str, Topic]:
    topics = {topic.name: topic for topic in db.session.scalars(select(Topic))}
    for name in TOPICS:
        if name not in topics:
            topics[name] = Topic(name=name, slug=topic_slug(name))
            db.session.add(topics[name])
            added.append(f"topic {name}")
    return topics


ENDING_SOON = "Westbrook Fire and Rescue Service"
#: The subscription contact of the organisation whose subscription ends soon: (name, email, role).
ENDING_SOON_CONTACT = ("Robin Hale", "robin.hale@westbrookfire.gov.uk", "Head of ICT")


def seed_demo(storage: Storage, today: date) -> list[str]:
    """Add whatever demo rows and files are missing; returns a line for each thing added."""
    added: list[str] = []
    topics = _topics(added)
    for number, data in enumerate(_demo_reports(), start=1):
        report = db.session.scalar(select(Report).where(Report.slug == data["slug"]))
        if report is None:
            names, printed = data.pop("topics"), data.pop("printed")
            report = Report(is_published=True, isbn=demo_isbn(number), **data)
            report.topics = [topics[name] for name in names]
            report.formats = _formats(printed)
            db.session.add(report)
            db.session.flush()  # its defaults (the number of sample pages) are needed below
            added.append(f"report {report.slug}")
        if report.pdf_file_key is None or not storage.exists(report.pdf_file_key):
            from pypdf import PdfReader  # the web servers import this module, never this

            pdf = sample_report_pdf(report.title, report.series, report.contents_items)
            report.pdf_file_key = f"reports/{report.slug}.pdf"
            storage.save(report.pdf_file_key, pdf)
            report.page_count = len(PdfReader(BytesIO(pdf)).pages)
            report.pdf_size_bytes = len(pdf)
            # A short report's sample is its first pages, never the whole of it.
            report.sample_pages = min(report.sample_pages, max(1, report.page_count // 2))
            report.sample_file_key = None
            added.append(f"sample PDF for {report.slug}")
        if not report.sample_file_key or not storage.exists(report.sample_file_key):
            refresh_sample(report, storage)
            added.append(f"free sample of {report.slug}")
        if report.cover_image_key is None or not storage.exists(report.cover_image_key):
            cover = demo_cover_png(report.title, report.series, number)
            save_cover(storage, report, cover, "png")
            added.append(f"cover for {report.slug}")

    for name, kind, domain, periods in _organisations(today):
        if db.session.scalar(select(Organisation).where(Organisation.name == name)) is None:
            organisation = Organisation(name=name, kind=kind)
            organisation.domains = [OrganisationDomain(domain=domain)]
            organisation.subscriptions = [
                InsightSubscription(starts_on=start, ends_on=end, notes="Demo subscription")
                for start, end in periods
            ]
            if name == ENDING_SOON:
                contact_name, email, role = ENDING_SOON_CONTACT
                db.session.add(
                    SubscriptionContact(
                        organisation=organisation, name=contact_name, email=email, role=role
                    )
                )
            db.session.add(organisation)
            added.append(f"organisation {name}")

    # The migration seeds the list; an empty one (tables emptied) gets it back. Entries an
    # administrator removed stay removed while any remain.
    if db.session.scalar(select(PublicSectorDomain.id).limit(1)) is None:
        for domain in PUBLIC_SECTOR_DOMAINS:
            db.session.add(PublicSectorDomain(domain=domain))
        added.append("public-sector domains")

    for sign_in in SIGN_INS:
        if db.session.scalar(select(User).where(User.email == sign_in.email)) is None:
            db.session.add(
                User(
                    email=sign_in.email,
                    name=sign_in.name,
                    organisation_name=sign_in.organisation,
                    password_hash=hash_password(sign_in.password),
                    email_verified_at=utcnow(),
                    is_admin=sign_in.is_admin,
                    # Made here, not promoted from a plain account: nothing to confirm by email.
                    admin_confirmed_at=utcnow() if sign_in.is_admin else None,
                )
            )
            added.append(f"user {sign_in.email}")
    db.session.flush()
    added.extend(seed_organisation_orders(today))
    db.session.flush()
    added.extend(_first_page_versions())
    return added


def _first_page_versions() -> list[str]:
    """Publish the first version of each content page that has none, as the demo administrator."""
    email = next(sign_in.email for sign_in in SIGN_INS if sign_in.is_admin)
    admin = db.session.scalar(select(User).where(User.email == email))
    added = []
    for page, title in PAGE_TITLES.items():
        if content.current_version(page) is None:
            body = (PAGES_FOLDER / f"{page.value}.md").read_text(encoding="utf-8")
            content.publish(admin, page, content.Draft(title, body, "First version", None))
            added.append(f"page {page.path}")
    return added
