"""The content pages staff edit: which there are, where the public reads them, and which of them
a buyer accepts when placing an order."""

import enum


class ContentPage(enum.StrEnum):
    """A page of the portal's own words, edited by administrators as Markdown."""

    PRIVACY = "privacy"
    TERMS = "terms"
    LICENCE = "licence"
    COOKIES = "cookies"
    ACCESSIBILITY = "accessibility"

    @property
    def label(self) -> str:
        """The page's name in lists, links and the footer (its title is written by staff)."""
        return {
            "privacy": "Privacy notice",
            "terms": "Terms of sale",
            "licence": "PDF licence",
            "cookies": "Cookies",
            "accessibility": "Accessibility statement",
        }[self.value]

    @property
    def in_text(self) -> str:
        """The page's name inside a sentence ("our PDF licence changed")."""
        return {
            "privacy": "privacy notice",
            "terms": "terms of sale",
            "licence": "PDF licence",
            "cookies": "cookies page",
            "accessibility": "accessibility statement",
        }[self.value]

    @property
    def path(self) -> str:
        """The public address: the page's own value (``/privacy``), kept stable for links."""
        return f"/{self.value}"

    @property
    def endpoint(self) -> str:
        return f"content.{self.value}"


#: What a buyer accepts at checkout, in the order the review page names them.
AGREED_AT_CHECKOUT = (ContentPage.TERMS, ContentPage.LICENCE)

#: The footer's order.
FOOTER = (
    ContentPage.PRIVACY,
    ContentPage.TERMS,
    ContentPage.LICENCE,
    ContentPage.COOKIES,
    ContentPage.ACCESSIBILITY,
)
