"""Money is integer pence, GBP. This module only formats it."""


def format_pence(pence: int) -> str:
    """Show pence as pounds: ``123450`` → ``£1,234.50``; a negative amount gets a minus sign."""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError(f"money is integer pence, not {type(pence).__name__}")
    sign = "\u2212" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def format_basis_points(basis_points: int) -> str:
    """Show a rate in basis points as a percentage: ``2000`` → ``20%``, ``1750`` → ``17.5%``."""
    whole, part = divmod(basis_points, 100)
    return f"{whole}%" if not part else f"{whole}.{part:02d}".rstrip("0") + "%"
