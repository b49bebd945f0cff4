"""Pages the buying journeys pass by, in a real browser with JavaScript on and off: the
catalogue with its covers, search, filters and pages, the pages of someone about to buy (create
an account, forgotten password, what Insight is) and the pages of a buyer's account. Each page,
as in every journey, is checked with axe and at 320 pixels wide for sideways scrolling."""

from playwright.sync_api import expect

BUYER = ("jo.evans@eastbridge.gov.uk", "eastbridge-buyer-demo")


def test_visitor_searches_and_filters_the_catalogue(journey_factory):
    journey = journey_factory("browsing")
    page = journey.page
    journey.goto("/", "home")
    journey.goto("/reports", "catalogue")
    expect(page.locator(".app-report-card img.app-cover").first).to_be_visible()

    page.get_by_label("Search reports").fill("case studies")
    journey.click("Search")
    expect(page.locator(".app-report-card h2").first).to_have_text(
        "Modern public services: transformation in practice"
    )
    journey.step("search results")

    page.get_by_label("Search reports").fill("")
    page.get_by_label("Series").select_option(index=1)
    page.get_by_label("Year published").select_option(index=1)
    journey.click("Search")
    expect(page.locator("h1")).to_have_text("Reports")
    journey.step("filtered by series and year")

    journey.goto("/reports?page=2", "catalogue, page 2")
    journey.goto("/insight", "what Insight is")
    journey.goto("/register", "create an account")
    journey.goto("/forgotten-password", "forgotten password")
    journey.assert_accessible()


def test_buyer_reads_the_pages_of_their_account(journey_factory):
    journey = journey_factory("account-pages")
    journey.goto("/", "home")
    journey.sign_in(*BUYER)
    journey.goto("/account", "account")
    journey.goto("/account/details", "change details")
    journey.goto("/account/email", "change email address")
    journey.goto("/account/password", "change password")
    journey.goto("/account/addresses", "saved addresses")
    journey.goto("/account/your-data", "your data")
    journey.assert_accessible()
