"""Drawing issued documents as A4 PDFs, from the plain data of ``portal.documents.printed``.

The drawing itself (``portal.documents.drawing``) uses the PDF standard Helvetica fonts, which
carry only the Windows "WinAnsi" character set, so every piece of text passes through
``printable`` first.
"""

from dataclasses import replace

from portal.documents.printed import DocumentContent


def render_document(content: DocumentContent) -> bytes:
    """The PDF of ``content``, as bytes. ReportLab is imported with the first document drawn
    (``portal.documents.drawing``), not when the app starts."""
    from portal.documents.drawing import draw

    return draw(content)


def render_with_stand_in(content: DocumentContent, stand_in: str) -> bytes | None:
    """The PDF of ``content``, whose number is ``stand_in``, drawn so that ``numbered`` can put
    the real number in its place: None when that cannot be done safely (the stand-in also
    appears in the text, or not in the PDF)."""
    from portal.documents.drawing import draw

    if content.number != stand_in or stand_in in repr(replace(content, number="")):
        return None
    pdf = draw(content, compressed=False)
    return pdf if stand_in.encode("latin-1") in pdf else None


def numbered(pdf: bytes, stand_in: str, number: str) -> bytes | None:
    """``pdf`` from ``render_with_stand_in`` with ``number`` printed where ``stand_in`` was; None
    when the two differ in length (the PDF's cross-reference table counts bytes)."""
    if len(number) != len(stand_in) or not number.isascii():
        return None
    return pdf.replace(stand_in.encode("latin-1"), number.encode("ascii"))
