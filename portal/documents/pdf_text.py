"""Text for PDFs drawn with the standard fonts (Helvetica and friends), which carry only the
"WinAnsi" character set: invoices and the licence stamp on downloads both pass text through here.
"""

import unicodedata


def printable(text: str) -> str:
    """``text`` in characters the standard PDF fonts can draw: accents are kept where the font
    has them, other letters lose their marks (ź → z, ł → l), and anything else becomes "?"."""
    text = text.translate(_PLAIN_LETTERS)
    out = []
    for char in text:
        if _drawable(char):
            out.append(char)
            continue
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", char) if _drawable(c) and c.isprintable()
        )
        out.append(plain or "?")
    return "".join(out)


# Letters with no decomposition to fall back on, and signs the standard fonts lack.
_PLAIN_LETTERS = str.maketrans(
    {
        "\u0141": "L",  # Ł
        "\u0142": "l",  # ł
        "\u0110": "D",  # Đ
        "\u0111": "d",  # đ
        "\u0126": "H",  # Ħ
        "\u0127": "h",  # ħ
        "\u0131": "i",  # dotless i
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2212": "-",  # minus sign
        "\u00d7": "x",  # multiplication sign
    }
)


def _drawable(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
