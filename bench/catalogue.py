"""A catalogue of ``CATALOGUE_REPORTS`` published reports for ``make bench`` to search: the demo's
back catalogue and generated reports, each with a title, summary, contents and authors made from
word lists (the same every run), a PDF format and a topic, over twenty series and twenty years.

Generated text uses the words councils' reports use, so a search has the spread of matches a real
catalogue gives it: common words ("services", "council") match hundreds of reports, rarer ones
("ransomware", "damp") a few dozen.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from dataset import PDF_NET, START, bulk_insert

#: Published reports in the bench's catalogue, the demo's included.
CATALOGUE_REPORTS = 1_000
#: What the search scenario asks for: the demo report the issue names ranks first.
SEARCHED = "case studies"
#: A word hundreds of the reports have (in a summary's sentence, or in "digital services"), so
#: that hundreds of matches are ranked.
COMMON_WORDS = "services"

_SUBJECTS = (
    "digital services", "adult social care", "housing repairs", "cyber security", "open data",
    "cloud hosting", "contact centres", "school admissions", "waste collection", "planning",
    "council tax", "libraries", "parking", "public health", "emergency planning", "procurement",
    "workforce skills", "ransomware recovery", "damp and mould", "smart streets",
)  # fmt: skip
_VERBS = ("Improving", "Measuring", "Rethinking", "Funding", "Securing", "Joining up", "Leading")
_SENTENCES = (
    "Councils compared {s} across {n} areas and found the costs varied threefold.",
    "This report sets out what residents said about {s} and what changed as a result.",
    "It looks at the data, the contracts and the staff behind {s}.",
    "Budgets for {s} fell while demand rose, and the report asks what gave way.",
    "Leaders describe the decisions about {s} they would take again and those they would not.",
    "The findings draw on interviews, surveys and {n} visits to services.",
)
_CHAPTERS = (
    "Why it matters", "What we found", "Costs and savings", "What residents said",
    "Technology used", "Governance", "Risks", "Recommendations", "Further reading",
)  # fmt: skip
_NAMES = (
    "Aisha Khan", "Ben Carter", "Chloe Davies", "Dev Patel", "Emma Hughes", "Farid Rahman",
    "Gwen Roberts", "Hamish Reid", "Isla Murray", "Jonah Price",
)  # fmt: skip


def grow_catalogue(session, topic_names: list[str]) -> int:
    """Add generated published reports until the catalogue holds ``CATALOGUE_REPORTS``;
    returns how many were added."""
    from sqlalchemy import func, select

    from portal.catalogue.models import FormatKind, Report, ReportFormat, Topic, report_topics

    have = session.scalar(select(func.count()).select_from(Report).where(Report.is_published))
    wanted = CATALOGUE_REPORTS - have
    if wanted <= 0:
        return 0
    chance = random.Random(20)  # noqa: S311 (made-up text, the same every run)
    first_id = (session.scalar(select(func.max(Report.id))) or 0) + 1
    reports, formats, filed = [], [], []
    topics = list(session.scalars(select(Topic.id).where(Topic.name.in_(topic_names))))
    for n in range(wanted):
        subject = _SUBJECTS[n % len(_SUBJECTS)]
        sentences = chance.sample(_SENTENCES, 3)
        report_id = first_id + n
        reports.append(
            {
                "id": report_id,
                "slug": f"bench-report-{n + 1}",
                "title": f"{chance.choice(_VERBS)} {subject}: report {n + 1}",
                "series": f"Bench series {n % 20 + 1}",
                "published_on": date(2006, 1, 1) + timedelta(days=(n * 7) % 7300),
                "summary": " ".join(
                    s.format(s=subject, n=chance.randint(3, 90)) for s in sentences
                ),
                "contents": "\n".join(chance.sample(_CHAPTERS, 5)),
                "authors": " and ".join(chance.sample(_NAMES, 2)),
                "edition": "",
                "is_published": True,
                "created_at": START,
                "updated_at": START,
            }
        )
        formats.append(
            {
                "report_id": report_id,
                "kind": FormatKind.PDF,
                "price_pence": PDF_NET,
                "subscriber_price_pence": 0,
                "vat_rate_basis_points": 0,
                "free_copies_per_organisation": 0,
                "postage_pence": 0,
                "download_limit": 10,
                "page_limit": 2000,
                "max_copies_per_order": 20,
            }
        )
        if topics:
            filed.append({"report_id": report_id, "topic_id": topics[n % len(topics)]})
    bulk_insert(session, Report, reports)
    bulk_insert(session, ReportFormat, formats)
    if filed:
        session.execute(report_topics.insert(), filed)
    session.commit()
    return wanted
