"""CSV that is safe to open in a spreadsheet.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a
leading tab or carriage return can hide such a character. A buyer's name or a user agent is text
someone outside Socitm typed, so every cell of every export goes through ``safe_cell``: a
dangerous first character gets a leading apostrophe, which spreadsheets show as plain text (OWASP
"CSV injection"). Numbers written by the portal itself (``12.50``) are never negative, so they
pass through unchanged.

``csv_rows`` turns rows into CSV text a batch at a time, for responses streamed row by row::

    def lines():
        yield from csv_rows([HEADER])
        yield from csv_rows(rows_from_a_server_side_cursor, batch_size=500)

    Response(stream_with_context(lines()), mimetype="text/csv")
"""

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import islice

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """``value`` as CSV cell text: None is empty; text starting a formula gets a leading ``'``."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_rows(rows: Iterable[Iterable], *, batch_size: int = 500) -> Iterator[str]:
    """CSV text for ``rows`` (each an iterable of cells, made safe with ``safe_cell``), one
    string per batch of ``batch_size`` rows, so a streamed response neither holds every row nor
    sends one tiny chunk per row. Lines end with CRLF, as RFC 4180 says."""
    iterator = iter(rows)
    while batch := list(islice(iterator, batch_size)):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([safe_cell(cell) for cell in row] for row in batch)
        yield buffer.getvalue()
