"""What an administrator types into the report and format forms, as the tests post them."""

REPORT_FORM = {
    "title": "Digital by default",
    "slug": "digital-by-default",
    "series": "Modern public services",
    "summary": "First paragraph.\n\nSecond paragraph.",
    "contents": "Leadership\nCase studies",
    "published_on": ["14", "2", "2006"],
    "is_published": "",
}
FORMAT_FORM = {
    "price": "145.00",
    "subscriber_price": "0",
    "vat_rate": "0",
    "free_copies": "2",
    "stock": "250",
    "postage": "3.50",
    "max_copies": "20",
    "download_limit": "10",
    "page_limit": "2000",
}
