"""Report PDFs without active content: what a viewer would run, launch or unpack rather than show.

Pure: no Flask, no database. Used on every report PDF an administrator uploads (the stored file
is the cleaned one, never the upload) and again on every personalised copy, so that a file stored
before cleaning existed is cleaned on its way out too.

What goes, wherever it is in the document:

- the action run when the file opens (``/OpenAction``) and every event action (``/AA``: of the
  document, its pages, annotations and form fields);
- the document's JavaScript (the ``/JavaScript`` name tree) and any ``/JS``;
- embedded files (the ``/EmbeddedFiles`` name tree, a file specification's ``/EF``, PDF 2.0's
  associated files ``/AF``), file attachment, media, screen, rich media and 3D annotations;
- any action but going to a page of the document (``/GoTo``), opening a web or mail address
  (``/URI`` with an ``http``, ``https`` or ``mailto`` address) and the viewer's own page
  commands (``/Named``): so JavaScript, Launch, SubmitForm, ImportData, ResetForm, GoToR, GoToE,
  Rendition… (a link whose chain of ``/Next`` actions holds one loses its action);
- an XFA form (``/XFA``).

Pages, their text and images, bookmarks, and links to pages and web addresses stay. The document
is cleaned in the reader, in place, before it is cloned into a writer: only what is still
reachable from the catalogue is cloned, so the removed objects are not carried into the new file
even unreferenced. Stream data is never decoded.
"""

import struct
import zlib
from typing import BinaryIO

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

#: What pypdf raises, besides its own errors, when a file is damaged in ways it cannot repair.
DAMAGED = (
    PyPdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
    zlib.error,
    struct.error,
)

#: Keys removed wherever they appear, with the words an administrator is shown for each.
_KEYS = {
    "/OpenAction": "an action run when the file opens",
    "/AA": "actions run by events (opening a page, typing in a field, closing the file)",
    "/JavaScript": "JavaScript",
    "/JS": "JavaScript",
    "/EmbeddedFiles": "embedded files",
    "/EF": "embedded files",
    "/AF": "embedded files",
    "/XFA": "an XFA form",
}
_ACTION_KEYS = ("/A", "/PA")
_ACTIONS_KEPT = frozenset({"/GoTo", "/URI", "/Named"})
_URI_SCHEMES_KEPT = ("http://", "https://", "mailto:")
_ANNOTATIONS = {
    "/FileAttachment": "file attachment annotations",
    "/Screen": "media annotations",
    "/Movie": "media annotations",
    "/Sound": "media annotations",
    "/RichMedia": "media annotations",
    "/3D": "3D annotations",
}
_ACTIONS_REMOVED = "actions other than links to pages and web addresses (JavaScript, Launch…)"


class UnreadablePdf(Exception):
    """The file cannot be read as a PDF, or is damaged beyond pypdf's repair."""


def remove_active_content(reader: PdfReader) -> list[str]:
    """Remove the active content of the document ``reader`` holds, in place, before it is
    cloned; return what was removed, in words for an administrator (each once, in the order
    found; empty when the file had none).

    Every object reachable from the catalogue is visited once, without recursion (so a deep or
    circular outline cannot exhaust the stack); stream data is not read. Raises the errors in
    ``DAMAGED`` for a file pypdf cannot read.
    """
    removed: dict[str, None] = {}
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject] = [reader.trailer.raw_get("/Root")]
    while stack:
        item = _first_visit(stack.pop(), seen)
        if item is None:
            continue
        if isinstance(item, DictionaryObject):
            _clean_dictionary(item, removed)
            stack.extend(item.raw_get(key) for key in list(item.keys()))
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return list(removed)


def _first_visit(item: PdfObject, seen: set[tuple[int, int]]) -> PdfObject | None:
    """``item`` resolved, or None when it is a reference already visited (``seen`` grows)."""
    if isinstance(item, IndirectObject):
        if (item.idnum, item.generation) in seen:
            return None
        seen.add((item.idnum, item.generation))
        return item.get_object()
    return item


def cleaned_writer(source: BinaryIO) -> tuple[PdfWriter, list[str]]:
    """A writer holding the PDF in ``source`` without its active content, and what was removed.

    ``source`` is read as needed, not loaded whole; the writer holds every object of the
    document (stream data still encoded) until it is written. Raises UnreadablePdf.
    """
    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            raise UnreadablePdf("the PDF is encrypted")
        removed = remove_active_content(reader)
        return PdfWriter(clone_from=reader), removed
    except DAMAGED as error:
        raise UnreadablePdf(str(error)) from error


def _clean_dictionary(item: DictionaryObject, removed: dict[str, None]) -> None:
    for key, words in _KEYS.items():
        if key in item:
            del item[key]
            removed[words] = None
    for key in _ACTION_KEYS:
        if key in item and not _safe_action(item.raw_get(key)):
            del item[key]
            removed[_ACTIONS_REMOVED] = None
    if "/Annots" in item:
        annotations = item["/Annots"]
        if isinstance(annotations, ArrayObject):
            kept = []
            for annotation in annotations:
                words = _ANNOTATIONS.get(_subtype(annotation))
                if words:
                    removed[words] = None
                else:
                    kept.append(annotation)
            annotations[:] = kept


def _subtype(annotation: PdfObject) -> str | None:
    resolved = annotation.get_object() if annotation is not None else None
    if not isinstance(resolved, DictionaryObject):
        return None
    return resolved.get("/Subtype")


def _safe_action(action: PdfObject) -> bool:
    """Whether an action, and every action chained after it by /Next, is one we keep."""
    seen: set[tuple[int, int]] = set()
    stack = [action]
    while stack:
        item = _first_visit(stack.pop(), seen)
        if item is None:
            continue
        if isinstance(item, ArrayObject):  # /Next may be a list of actions
            stack.extend(item)
            continue
        if not isinstance(item, DictionaryObject):
            return False
        kind = item.get("/S")
        if kind not in _ACTIONS_KEPT:
            return False
        if kind == "/URI" and not _safe_address(item.get("/URI")):
            return False
        if "/Next" in item:
            stack.append(item.raw_get("/Next"))
    return True


def _safe_address(uri: PdfObject) -> bool:
    if isinstance(uri, bytes):
        uri = uri.decode("latin-1")
    return isinstance(uri, str) and uri.strip().lower().startswith(_URI_SCHEMES_KEPT)
