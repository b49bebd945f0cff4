"""The demo's back catalogue: thirty reports from several series and years, so that the
catalogue's search, filters and pages have something to work on. Invented for the demo; any
likeness to a real report's wording is chance."""

from datetime import date
from typing import NamedTuple


class BackCatalogueReport(NamedTuple):
    slug: str
    title: str
    series: str
    published_on: date
    authors: str
    topics: tuple[str, ...]
    summary: str
    contents: tuple[str, ...]
    printed: bool = True


MPS = "Modern public services"
BRIEFINGS = "Insight briefings"
DIGITAL = "Digital leadership"
TRENDS = "IT trends in local government"
CYBER = "Cyber resilience"

#: The topics the demo files reports under (administrators add more on the Topics page).
TOPICS = (
    "Customer experience",
    "Cyber security",
    "Data and analytics",
    "Digital services",
    "Health and social care",
    "Housing",
    "Infrastructure and cloud",
    "Procurement",
    "Transformation",
    "Workforce and skills",
)

#: Authors and topics of the two founding reports of the transformation series.
FOUNDING = {
    "challenge-of-transformation": ("Helen Marsh and David Okafor", ("Transformation",)),
    "transformation-in-practice": (
        "Helen Marsh, David Okafor and Ruth Llewellyn",
        ("Transformation", "Customer experience"),
    ),
}

BACK_CATALOGUE = (
    BackCatalogueReport(
        "shared-services-in-practice",
        "Modern public services: sharing services across boundaries",
        MPS,
        date(2007, 6, 12),
        "Ruth Llewellyn",
        ("Transformation", "Procurement"),
        "Councils that share a back office can save money, but only if they agree who is in "
        "charge. This report follows six partnerships from first conversation to the end of "
        "their first contract.\n\nIt sets out the governance that held them together and the "
        "disputes that nearly ended two of them.",
        ("Why councils share", "Six partnerships", "Governance that works", "When partners part"),
    ),
    BackCatalogueReport(
        "citizen-first-access",
        "Modern public services: putting the citizen first",
        MPS,
        date(2008, 3, 4),
        "David Okafor",
        ("Customer experience", "Digital services"),
        "One telephone number, one website, one front desk: the promise of joined-up access. "
        "The report measures how far councils have come and what residents say about it.\n\n"
        "Contact centres, one-stop shops and the first online forms are compared on cost per "
        "contact and on whether the resident's problem was solved first time.",
        ("Access channels compared", "Resolving at first contact", "Cost per contact"),
    ),
    BackCatalogueReport(
        "efficiency-through-ict",
        "Modern public services: efficiency through ICT",
        MPS,
        date(2009, 11, 17),
        "Helen Marsh",
        ("Transformation", "Procurement"),
        "When budgets tighten, technology is asked to pay its way. This report looks at where "
        "investment in ICT released savings that could be counted, and where it did not.\n\n"
        "It offers a simple method for building a benefits case that finance directors accept.",
        ("Savings that can be counted", "Building a benefits case", "Lessons from the audits"),
    ),
    BackCatalogueReport(
        "workforce-for-the-digital-council",
        "A workforce for the digital council",
        DIGITAL,
        date(2012, 5, 22),
        "Priya Shah",
        ("Workforce and skills", "Digital services"),
        "Digital services need people who can design, build and run them. Councils struggle "
        "to hire them against private-sector salaries.\n\nThis report looks at apprenticeships, "
        "shared teams and growing talent from within, with the costs of each.",
        ("The skills gap", "Apprenticeships", "Growing your own", "Shared specialist teams"),
    ),
    BackCatalogueReport(
        "leading-digital-change",
        "Leading digital change: a guide for chief executives",
        DIGITAL,
        date(2013, 9, 10),
        "Priya Shah and Tom Evans",
        ("Transformation", "Workforce and skills"),
        "Digital change is a leadership task before it is a technical one. This guide sets out "
        "the questions a chief executive should ask, and the answers to expect.\n\nIt draws on "
        "interviews with twenty leaders who led their councils through a digital programme.",
        ("What leaders must own", "Questions to ask", "Twenty leaders in their own words"),
        False,
    ),
    BackCatalogueReport(
        "channel-shift-that-lasts",
        "Channel shift that lasts",
        DIGITAL,
        date(2014, 2, 18),
        "Tom Evans",
        ("Customer experience", "Digital services"),
        "Moving residents online saves money only if they stay online. This report tracks "
        "three years of channel shift in twelve councils.\n\nServices that were easier online "
        "kept their users; those that merely moved a paper form onto a screen lost them.",
        ("Measuring channel shift", "Why residents return to the phone", "Designing to stay"),
    ),
    BackCatalogueReport(
        "open-data-for-councils",
        "Open data for councils: from obligation to opportunity",
        BRIEFINGS,
        date(2014, 10, 7),
        "Grace Adeyemi",
        ("Data and analytics",),
        "Publishing spending data was a duty; using it became a choice. This briefing shows "
        "how councils turned open data into apps, scrutiny and savings.\n\nIt includes a "
        "checklist for publishing data people can actually use.",
        ("The duty to publish", "Who uses open data", "A publishing checklist"),
        False,
    ),
    BackCatalogueReport(
        "cloud-first-local-government",
        "Cloud first in local government",
        TRENDS,
        date(2015, 4, 28),
        "Martin Kowalski",
        ("Infrastructure and cloud", "Procurement"),
        "Should a council still run its own data centre? This report compares the costs and "
        "risks of staying put, moving to a hosting partner and going to the public cloud.\n\n"
        "It includes contract terms to insist on before any data leaves the building.",
        ("Costs compared", "Risks compared", "Contract terms that matter", "Exit plans"),
    ),
    BackCatalogueReport(
        "it-trends-2016",
        "IT trends in local government 2016",
        TRENDS,
        date(2016, 3, 1),
        "Martin Kowalski and Grace Adeyemi",
        ("Infrastructure and cloud", "Workforce and skills"),
        "The annual survey of council IT: budgets, staffing, priorities and the technologies "
        "councils plan to buy.\n\nThis year budgets fell again while demand for online "
        "services rose, and mobile working became the top priority.",
        ("Budgets", "Staffing", "Priorities", "Plans for the year ahead"),
    ),
    BackCatalogueReport(
        "digital-health-and-care",
        "Joining up health and social care records",
        DIGITAL,
        date(2016, 9, 13),
        "Dr Amina Rahman",
        ("Health and social care", "Data and analytics"),
        "A care worker and a GP often know different halves of one person's story. This report "
        "looks at councils and health trusts that share records safely.\n\nIt covers consent, "
        "information governance and the technical standards that made sharing possible.",
        (
            "Why records must join up",
            "Consent and governance",
            "Standards",
            "What changed for people",
        ),
    ),
    BackCatalogueReport(
        "cyber-basics-for-councils",
        "Cyber security basics for councils",
        CYBER,
        date(2017, 6, 6),
        "Sarah Whitfield",
        ("Cyber security",),
        "Most attacks on councils use old weaknesses: unpatched systems, shared passwords and "
        "staff tricked by email. This report sets out the basics that stop them.\n\nIt maps "
        "each control to the attacks councils actually suffered.",
        ("What attackers do", "Ten controls", "Phishing and staff awareness", "Patching"),
    ),
    BackCatalogueReport(
        "it-trends-2017",
        "IT trends in local government 2017",
        TRENDS,
        date(2017, 3, 7),
        "Martin Kowalski",
        ("Infrastructure and cloud",),
        "The survey's second year of falling budgets. Councils moved email and office tools to "
        "the cloud and began to close server rooms.\n\nSecurity rose sharply up the list of "
        "worries after a year of well-publicised attacks.",
        ("Budgets", "Cloud adoption", "Security concerns", "Plans for the year ahead"),
    ),
    BackCatalogueReport(
        "housing-repairs-online",
        "Housing repairs online",
        BRIEFINGS,
        date(2018, 1, 23),
        "Tom Evans",
        ("Housing", "Customer experience"),
        "Reporting a broken boiler should take two minutes, not a morning on hold. This "
        "briefing follows four housing services that let tenants book repairs online.\n\n"
        "Appointments kept rose and repeat visits fell once tenants could add photographs.",
        ("Booking repairs online", "Photographs and diagnosis", "Results after a year"),
        False,
    ),
    BackCatalogueReport(
        "gdpr-readiness",
        "Ready for the General Data Protection Regulation",
        BRIEFINGS,
        date(2018, 4, 10),
        "Grace Adeyemi",
        ("Data and analytics", "Cyber security"),
        "New data protection law arrives in May. This briefing lists what councils must have "
        "in place: records of processing, lawful bases and a way to answer requests on time.\n\n"
        "It closes with the ten questions auditors ask first.",
        ("What changes", "Records of processing", "Subject access requests", "Ten questions"),
        False,
    ),
    BackCatalogueReport(
        "procuring-digital-services",
        "Procuring digital services without lock-in",
        DIGITAL,
        date(2018, 11, 20),
        "Ruth Llewellyn and Martin Kowalski",
        ("Procurement", "Digital services"),
        "Long contracts for large systems leave councils stuck with what they bought. This "
        "report shows how to buy in smaller pieces, keep the data and change supplier.\n\n"
        "Model clauses on data export and open standards are included.",
        ("The cost of lock-in", "Buying in smaller pieces", "Model clauses"),
    ),
    BackCatalogueReport(
        "it-trends-2019",
        "IT trends in local government 2019",
        TRENDS,
        date(2019, 3, 5),
        "Grace Adeyemi",
        ("Data and analytics", "Workforce and skills"),
        "Data and automation join the survey's priorities. Councils report early trials of "
        "chatbots and robotic process automation, with mixed results.\n\nSkills shortages, "
        "especially in data and security, are the most common worry.",
        ("Budgets", "Automation trials", "Skills shortages", "Plans for the year ahead"),
    ),
    BackCatalogueReport(
        "ransomware-recovery",
        "Recovering from ransomware",
        CYBER,
        date(2019, 8, 27),
        "Sarah Whitfield",
        ("Cyber security", "Infrastructure and cloud"),
        "When ransomware strikes, the first hours decide how long recovery takes. This report "
        "follows three councils from the attack to full service.\n\nBackups kept offline and "
        "rehearsed recovery plans made the difference between weeks and months.",
        ("The first hours", "Backups that survive", "Rebuilding", "Telling residents"),
    ),
    BackCatalogueReport(
        "remote-working-at-scale",
        "Remote working at scale: the councils that moved overnight",
        DIGITAL,
        date(2020, 7, 14),
        "Priya Shah",
        ("Workforce and skills", "Infrastructure and cloud"),
        "In spring 2020 councils sent most of their staff home within a week. This report "
        "records how they did it and what they kept afterwards.\n\nLaptops, remote access and "
        "video meetings were the easy part; supporting managers and new starters was harder.",
        ("The first week", "Kit and connections", "Managing at a distance", "What stays"),
    ),
    BackCatalogueReport(
        "it-trends-2021",
        "IT trends in local government 2021",
        TRENDS,
        date(2021, 3, 2),
        "Martin Kowalski and Grace Adeyemi",
        ("Infrastructure and cloud", "Workforce and skills"),
        "A year of remote working rewrote councils' plans. Spending moved from buildings to "
        "devices and cloud services.\n\nMost councils now expect hybrid working to last.",
        ("Budgets", "Hybrid working", "Cloud services", "Plans for the year ahead"),
    ),
    BackCatalogueReport(
        "data-driven-social-care",
        "Data-driven adult social care",
        BRIEFINGS,
        date(2021, 10, 19),
        "Dr Amina Rahman",
        ("Health and social care", "Data and analytics"),
        "Predicting who will need care next year helps a council plan. This briefing looks at "
        "the models councils use and the safeguards that keep them fair.\n\nIt warns against "
        "models nobody in the council can explain.",
        ("Forecasting demand", "Fairness and bias", "Explaining a model"),
        False,
    ),
    BackCatalogueReport(
        "smart-places",
        "Smart places: sensors, streets and services",
        TRENDS,
        date(2022, 5, 24),
        "Owen Pritchard",
        ("Infrastructure and cloud", "Data and analytics"),
        "Sensors on bins, lamp posts and roads promise cheaper services and cleaner air. This "
        "report separates the projects that paid back from the pilots that stayed pilots.\n\n"
        "Networks, data ownership and maintenance costs are covered in turn.",
        ("What sensors can tell you", "Networks", "Who owns the data", "Paying back"),
    ),
    BackCatalogueReport(
        "cyber-assessment-framework",
        "Using the cyber assessment framework",
        CYBER,
        date(2022, 11, 8),
        "Sarah Whitfield and Owen Pritchard",
        ("Cyber security",),
        "The cyber assessment framework gives councils a common way to judge their defences. "
        "This report explains its outcomes in plain language.\n\nIt includes a worked "
        "assessment of a fictional district council.",
        ("The framework's objectives", "Evidence for each outcome", "A worked assessment"),
    ),
    BackCatalogueReport(
        "it-trends-2023",
        "IT trends in local government 2023",
        TRENDS,
        date(2023, 3, 7),
        "Grace Adeyemi",
        ("Data and analytics", "Cyber security"),
        "Inflation ate into budgets just as residents expected more online. Security and "
        "ageing systems top the list of risks.\n\nGenerative AI appears in the survey for the "
        "first time, mostly as a question rather than a plan.",
        ("Budgets and inflation", "Ageing systems", "Security", "First thoughts on AI"),
    ),
    BackCatalogueReport(
        "ai-in-public-services",
        "Artificial intelligence in public services: a practical guide",
        DIGITAL,
        date(2023, 9, 19),
        "Priya Shah and Dr Amina Rahman",
        ("Data and analytics", "Transformation"),
        "Artificial intelligence can draft letters, sort correspondence and summarise case "
        "notes. This guide shows where it helps, where it harms and how to decide.\n\nIt "
        "covers data protection, bias, and keeping a person responsible for every decision.",
        ("Where AI helps", "Where it harms", "Governance", "Keeping people responsible"),
    ),
    BackCatalogueReport(
        "tenant-data-and-damp",
        "Tenant data and damp: finding homes at risk",
        BRIEFINGS,
        date(2024, 2, 13),
        "Owen Pritchard",
        ("Housing", "Data and analytics"),
        "Damp and mould harm tenants' health, and landlords must act quickly. This briefing "
        "shows how repairs records and cheap sensors find homes at risk before a complaint.\n\n"
        "It sets out the data to collect and the questions to ask of it.",
        ("The duty to act", "Signals in repairs records", "Sensors in homes"),
        False,
    ),
    BackCatalogueReport(
        "supplier-security",
        "Securing the supply chain",
        CYBER,
        date(2024, 6, 25),
        "Sarah Whitfield",
        ("Cyber security", "Procurement"),
        "Many breaches now start at a supplier. This report sets out the checks to make before "
        "a contract and the assurances to ask for during it.\n\nSmall suppliers get "
        "proportionate questions, not a two-hundred-line spreadsheet.",
        ("Where breaches start", "Checks before contract", "Assurance during it"),
    ),
    BackCatalogueReport(
        "it-trends-2025",
        "IT trends in local government 2025",
        TRENDS,
        date(2025, 3, 4),
        "Martin Kowalski",
        ("Infrastructure and cloud", "Workforce and skills"),
        "Councils are replacing the large systems bought twenty years ago. The survey finds "
        "most planning to move them to cloud services within five years.\n\nRecruiting and "
        "keeping technical staff remains the hardest problem.",
        ("Budgets", "Replacing legacy systems", "Recruitment and retention"),
    ),
    BackCatalogueReport(
        "digital-inclusion",
        "No one left offline: digital inclusion in practice",
        MPS,
        date(2025, 7, 15),
        "Ruth Llewellyn and Tom Evans",
        ("Customer experience", "Digital services"),
        "One adult in twenty has never used the internet. This report looks at councils that "
        "lend devices, fund data and train volunteers, and at services designed for people "
        "who will never go online.\n\nIt measures what each approach costs per person helped.",
        ("Who is offline", "Devices and data", "Digital champions", "Services for everyone"),
    ),
    BackCatalogueReport(
        "it-trends-2026",
        "IT trends in local government 2026",
        TRENDS,
        date(2026, 3, 3),
        "Grace Adeyemi and Martin Kowalski",
        ("Data and analytics", "Infrastructure and cloud"),
        "The survey's twentieth year. Councils report their first live uses of AI, rising "
        "cloud bills and a sharper focus on the data they hold.\n\nA comparison with the first "
        "survey shows how far council IT has come.",
        ("Budgets", "AI in use", "Cloud costs", "Twenty years compared"),
    ),
    BackCatalogueReport(
        "resilient-council",
        "The resilient council: planning for the day systems fail",
        CYBER,
        date(2026, 9, 22),
        "Sarah Whitfield and Helen Marsh",
        ("Cyber security", "Transformation"),
        "Every service will one day lose its systems, to an attack, a fire or a failed "
        "supplier. This report helps councils decide which services must keep going and how.\n\n"
        "It includes an exercise to run with service managers in a morning.",
        ("Which services come first", "Working without systems", "A morning's exercise"),
    ),
)
