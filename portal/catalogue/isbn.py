"""A report's ISBN: checked when an administrator types it, kept as 13 digits, shown hyphenated.

python-stdnum does the arithmetic and knows the registration groups, so the hyphens fall where
the ISBN agency put them (978-1-83798-… rather than every fourth digit).
"""

from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import InvalidChecksum, ValidationError

#: What the form says about an ISBN it cannot take.
NOT_AN_ISBN = "Enter an ISBN of 13 digits, like 978-1-4028-9462-6"
WRONG_CHECK_DIGIT = "The ISBN's last digit does not match the others: check it was copied exactly"


class IsbnRefused(ValueError):
    """Typed text that is not an ISBN; the message says why, in words for the administrator."""


def parse_isbn(text: str) -> str:
    """The 13 digits of the ISBN typed in ``text`` (hyphens and spaces allowed; an ISBN-10 is
    turned into its ISBN-13). Raises ``IsbnRefused`` for anything else, a wrong check digit
    included."""
    try:
        compact = stdnum_isbn.validate(text)
    except InvalidChecksum:
        raise IsbnRefused(WRONG_CHECK_DIGIT) from None
    except ValidationError:
        raise IsbnRefused(NOT_AN_ISBN) from None
    return stdnum_isbn.to_isbn13(compact)


def hyphenated(compact: str) -> str:
    """``9781402894626`` as printed on a book: ``978-1-4028-9462-6``."""
    try:
        return stdnum_isbn.format(compact)
    except ValidationError:  # a stored number from before the checks: shown as it is
        return compact
