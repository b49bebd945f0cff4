"""Report covers: checking an uploaded image and drawing it in the sizes the pages show.

An upload is checked by what it contains (PNG or JPEG, read by Pillow), and its size in pixels is
read from the header before any pixel is decoded: a picture too large to be a cover is refused
without ever being inflated in memory. The original is kept, and beside it a JPEG for each width
in ``COVER_WIDTHS``, which the report list and the report page offer to browsers with ``srcset``.
Nothing is stored unless every size could be drawn.
"""

import secrets
import warnings
from io import BytesIO

from portal import audit
from portal.catalogue.models import Report
from portal.catalogue.report_pdf import megabytes
from portal.extensions import db
from portal.storage import Storage, get_storage

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
#: The widths, in pixels, a cover is drawn at: the list shows it small, the report page larger,
#: and screens with dense pixels take the next width up.
COVER_WIDTHS = (120, 240, 480)
#: The most pixels a cover may have (an A4 page scanned at 300 dpi has under 9 million).
MAX_COVER_PIXELS = 20_000_000
_NOT_AN_IMAGE = "The selected file must be a PNG or JPEG image"
_DAMAGED = "The selected image is damaged or is not a real PNG or JPEG"


class CoverRefusal(ValueError):
    """A cover that cannot be used; the message says why, in words for the administrator."""


def cover_problem(data: bytes, limit: int) -> tuple[str | None, str]:
    """Why these bytes are not a cover image we accept (None when they are), and the file
    extension to store them under: PNG or JPEG, checked by content and by Pillow, and no more
    than ``MAX_COVER_PIXELS`` pixels (read from the header, before decoding)."""
    if not data:
        return "Select an image file to upload", ""
    if len(data) > limit:
        return f"The image must be {megabytes(limit)} or smaller", ""
    if data.startswith(PNG_MAGIC):
        expected, extension = "PNG", "png"
    elif data.startswith(JPEG_MAGIC):
        expected, extension = "JPEG", "jpg"
    else:
        return _NOT_AN_IMAGE, ""
    from PIL import Image  # only when a cover is uploaded

    try:
        with warnings.catch_warnings():
            # Pillow's own decompression-bomb limit, as an error rather than a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:
                if image.format != expected:
                    return _NOT_AN_IMAGE, ""
                width, height = image.size
                if width * height > MAX_COVER_PIXELS:
                    return _too_many_pixels(width, height), ""
                image.verify()
    except Image.DecompressionBombError:
        return _too_many_pixels(0, 0), ""
    except Exception:  # any failure to read it means it is not a usable image
        return _DAMAGED, ""
    return None, extension


def _too_many_pixels(width: int, height: int) -> str:
    most = f"a cover may have {MAX_COVER_PIXELS // 1_000_000} megapixels at most"
    if not width:
        return f"The image is far too large: {most}. Upload a smaller image"
    megapixels = round(width * height / 1_000_000)
    return (
        f"The image is {width:,} by {height:,} pixels ({megapixels} megapixels); {most}. "
        "Upload a smaller image"
    )


def drawn_sizes(data: bytes) -> dict[int, bytes]:
    """The cover drawn as a JPEG at each width of ``COVER_WIDTHS`` (never wider than the
    original), keeping its proportions, the right way up, on white where it was transparent.
    Raises ``CoverRefusal`` when the picture cannot be decoded."""
    from PIL import Image, ImageOps

    sizes: dict[int, bytes] = {}
    try:
        with Image.open(BytesIO(data)) as opened:
            upright = ImageOps.exif_transpose(opened.convert("RGBA"))
            flat = Image.new("RGB", upright.size, "white")
            flat.paste(upright, mask=upright.getchannel("A"))
        for width in COVER_WIDTHS:
            drawn = flat.copy()
            if drawn.width > width:
                height = max(1, round(drawn.height * width / drawn.width))
                drawn = drawn.resize((width, height), Image.Resampling.LANCZOS)
            out = BytesIO()
            drawn.save(out, "JPEG", quality=85, optimize=True)
            sizes[width] = out.getvalue()
    except Exception:  # truncated or corrupt pixel data that the header check could not see
        raise CoverRefusal(_DAMAGED) from None
    return sizes


def cover_size_key(original_key: str, width: int) -> str:
    """Where the cover stored as ``original_key`` is kept drawn ``width`` pixels wide."""
    stem = original_key.rsplit(".", 1)[0]
    return f"{stem}-w{width}.jpg"


def save_cover(storage: Storage, report: Report, data: bytes, extension: str) -> str:
    """Keep a checked cover image (``cover_problem``) and its drawn sizes in ``storage``, under
    a new key, and point the report at it; return the key. Raises ``CoverRefusal`` (nothing
    stored) when its pixels cannot be decoded."""
    sizes = drawn_sizes(data)
    key = f"covers/{report.slug}-{secrets.token_hex(8)}.{extension}"
    for width, drawn in sizes.items():
        storage.save(cover_size_key(key, width), drawn)
    storage.save(key, data)
    report.cover_image_key = key
    return key


def store_cover_image(actor, report: Report, data: bytes, limit: int) -> str:
    """Check a cover image, store it with its drawn sizes and point the report at it; refused
    (``CoverRefusal``, nothing stored) when it is not an image we accept."""
    problem, extension = cover_problem(data, limit)
    if problem:
        raise CoverRefusal(problem)
    before = {"cover_image_key": report.cover_image_key}
    key = save_cover(get_storage(), report, data, extension)
    db.session.flush()
    audit.record(
        actor,
        "report.upload_cover",
        "report",
        report.slug,
        before=before,
        after={"cover_image_key": key},
    )
    return key
