"""The password rules: long enough, and not one that attackers try first."""

from zxcvbn import zxcvbn

MAX_LENGTH = 128
# zxcvbn's cost grows quickly with length; a password this long is never "common".
_CHECKED_PREFIX = 64


def password_problem(password: str, min_length: int, personal: list[str] = ()) -> str | None:
    """Why ``password`` is not acceptable, in words for the person choosing it; None when it is.

    ``personal`` holds the person's own details (email, name, organisation), which make a
    password easy to guess for anyone who knows them.
    """
    if len(password) < min_length:
        return f"Password must be {min_length} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    inputs = [word for item in personal if item for word in item.replace("@", " ").split()]
    strength = zxcvbn(password[:_CHECKED_PREFIX], user_inputs=inputs[:20])
    if strength["score"] < 2:
        warning = strength["feedback"].get("warning") or "It is too easy to guess."
        return f"Choose a password that is harder to guess. {warning}"
    return None
