"""Demo report covers, drawn with Pillow when the demo loads, so no image is committed."""

import textwrap
from io import BytesIO

#: Cover colours, one per report in turn (Socitm-like blues and greens).
COLOURS = ("#1d4f91", "#00703c", "#4c2c92", "#b58840")
SIZE = (600, 848)  # A4 proportions


def demo_cover_png(title: str, series: str, number: int) -> bytes:
    """A PNG cover: a coloured page with the series, the title (wrapped) and the publisher."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", SIZE, COLOURS[number % len(COLOURS)])
    draw = ImageDraw.Draw(image)
    small = ImageFont.load_default(size=26)
    large = ImageFont.load_default(size=46)
    draw.rectangle((40, 40, SIZE[0] - 40, 48), fill="white")
    draw.text((48, 80), series, font=small, fill="white")
    shown = title.removeprefix(f"{series}: ") if series else title
    shown = shown[:1].upper() + shown[1:]
    draw.multiline_text(
        (48, 180), "\n".join(textwrap.wrap(shown, 20)), font=large, fill="white", spacing=14
    )
    draw.text((48, SIZE[1] - 90), "Socitm Insight", font=small, fill="white")
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
