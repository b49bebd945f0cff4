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
_FORMULA_STARTS = frozenset(FORMULA_STARTS)


def safe_row(row: Iterable) -> list[str]:
    """Every cell of ``row`` as CSV cell text: None is empty; text starting a formula gets a
    leading ``'``. A whole row at a time, with slicing rather than ``startswith``: this runs for
    every cell of an export of 100,000 orders."""
    texts = ["" if c is None else c if type(c) is str else str(c) for c in row]
    return ["'" + t if t[:1] in _FORMULA_STARTS else t for t in texts]


def safe_cell(value) -> str:
    """One cell as ``safe_row`` writes it."""
    return safe_row((value,))[0]


class RowText:
    """One row's cells as CSV text without the line end, exactly as ``csv_rows`` writes them
    (quoted only where a cell needs it): for an export that writes once the cells several rows
    share and repeats the text. Cells must be made safe first."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        # The writer quotes a cell holding any character of its line end: keep CRLF, then cut it.
        self._writer = csv.writer(self._buffer)

    def __call__(self, cells: Iterable) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue()[:-2]


def csv_rows(
    rows: Iterable[Iterable], *, batch_size: int = 500, made_safe: bool = False
) -> Iterator[str]:
    """CSV text for ``rows`` (each an iterable of cells, made safe with ``safe_cell``), one
    string per batch of ``batch_size`` rows, so a streamed response neither holds every row nor
    sends one tiny chunk per row. Lines end with CRLF, as RFC 4180 says.

    ``made_safe=True`` says the caller already passed every cell that was typed by someone
    through ``safe_row`` or ``safe_cell`` (once per order, say, for cells repeated on each of its
    lines), and the rest are numbers and words the portal wrote: rows are written as given."""
    iterator = iter(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    while batch := list(islice(iterator, batch_size)):
        writer.writerows(batch if made_safe else map(safe_row, batch))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
