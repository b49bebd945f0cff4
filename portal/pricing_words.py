"""How the pricing module's answers are worded: a line's reason, what Insight subscribers pay
for a format, and how many free printed copies an organisation has left.

A line's reason says what the buyer got ("Standard price", "Free with your Insight
subscription", "1 free printed copy with your subscription; 2 at the standard price"), never a
prompt: why someone got no subscriber price (not signed in, address not verified, subscription
ended) is a hint of its own on the report page and the basket. Pure: numbers and names in,
words out; ``portal.pricing`` decides the numbers.
"""

from portal.money import format_pence

#: The reason on a line that costs what everyone pays.
STANDARD_PRICE = "Standard price"

NO_FREE_PRINTED_COPIES = "Printed copies are at the standard price, also for Insight subscribers"


def free_copies(n: int) -> str:
    return f"{n} free cop{'y' if n == 1 else 'ies'}"


def printed_copies(n: int) -> str:
    return f"{n} printed cop{'y' if n == 1 else 'ies'}"


def _from_allowance(n: int, free: bool) -> str:
    """``n`` printed copies taken from the organisation's allowance: "1 free printed copy", or,
    when the subscriber price is not nothing, "1 printed copy at the subscriber price"."""
    if free:
        return f"{n} free printed cop{'y' if n == 1 else 'ies'}"
    return f"{printed_copies(n)} at the subscriber price"


def printed_reason(name: str, allowance: int, taken: int, quantity: int, free: bool) -> str:
    """The reason of a subscriber's line of ``quantity`` printed copies, ``taken`` of them from
    the ``allowance`` of their organisation ``name`` (``free`` when its subscriber price is
    nothing)."""
    if allowance == 0:
        return NO_FREE_PRINTED_COPIES
    if taken == 0:
        return f"{STANDARD_PRICE}: {name} has had its {free_copies(allowance)} of this report"
    copies = _from_allowance(taken, free)
    if taken == quantity:
        return f"{copies} with your Insight subscription ({name})"
    return f"{copies} with your subscription; {quantity - taken} at the standard price"


def copies_left(name: str, left: int, free: bool) -> str:
    """Before anything is ordered: how many printed copies at the subscriber price the
    organisation ``name`` has ``left`` ("1 free copy left for Northmere City Council")."""
    if left == 0:
        return f"No free copies left for {name}: further copies are at the standard price"
    if not free:
        return f"{printed_copies(left)} at the subscriber price left for {name}"
    return f"{free_copies(left)} left for {name}"


def pdf_terms(subscriber_price_pence: int) -> str:
    """What Insight subscribers pay for a PDF, without limit."""
    if subscriber_price_pence == 0:
        return "Free for Insight subscribers"
    return f"{format_pence(subscriber_price_pence)} for Insight subscribers"


def printed_terms(subscriber_price_pence: int, allowance: int) -> str:
    """What Insight subscribers pay for printed copies: only the ``allowance`` each subscribing
    organisation gets are at the subscriber price."""
    if allowance == 0:
        return "Standard price for Insight subscribers too"
    if subscriber_price_pence == 0:
        return (
            f"{free_copies(allowance)} for each subscribing organisation, then the standard price"
        )
    return (
        f"{printed_copies(allowance)} for each subscribing organisation at "
        f"{format_pence(subscriber_price_pence)}, then the standard price"
    )
