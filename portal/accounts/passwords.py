"""The password rules: long enough, and not one that attackers try first."""

import re

MAX_LENGTH = 128
# zxcvbn's cost grows quickly with length; a password this long is never "common".
_CHECKED_PREFIX = 64
_MAX_PERSONAL_WORDS = 40


def _personal_words(personal: list[str]) -> list[str]:
    """What zxcvbn should treat as known to an attacker: each detail whole (an email address,
    a full name), each side of an address's ``@``, and every word in them.

    Whole details matter: given only the separate words, zxcvbn prices the ``@`` and the spaces
    between them as random characters and rates the person's own email address as strong.
    """
    words: list[str] = []
    for item in personal:
        item = (item or "").strip().lower()
        if not item:
            continue
        words.append(item)
        words.extend(item.split("@"))
        words.append(re.sub(r"\W+", "", item))
        words.extend(re.split(r"\W+", item))
    return [word for word in dict.fromkeys(words) if word][:_MAX_PERSONAL_WORDS]


def password_problem(password: str, min_length: int, personal: list[str] = ()) -> str | None:
    """Why ``password`` is not acceptable, in words for the person choosing it; None when it is.

    ``personal`` holds the person's own details (email, name, organisation), which make a
    password easy to guess for anyone who knows them.
    """
    if len(password) < min_length:
        return f"Password must be {min_length} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    # Imported here: its word lists take about 12 MB, needed only where a password is chosen.
    from zxcvbn import zxcvbn

    strength = zxcvbn(password[:_CHECKED_PREFIX], user_inputs=_personal_words(personal))
    if strength["score"] < 2:
        warning = strength["feedback"].get("warning") or "It is too easy to guess."
        return f"Choose a password that is harder to guess. {warning}"
    return None
