"""What a reader sees before downloading: a first-page thumbnail of a PDF or an image (PNG,
made with pypdfium2 and Pillow, no system binary) or a short excerpt of a text format.

Everything here works on untrusted bytes: sizes and pixel counts are capped, and a file the
libraries cannot read gives no preview (logged), never an error for the uploader.
"""

import io
import logging
from dataclasses import dataclass

from casebank import file_types

log = logging.getLogger(__name__)

THUMBNAIL_BOX = (320, 420)  # width, height in pixels
MAX_SOURCE_PIXELS = 40_000_000  # an image larger than this is not decoded (decompression bombs)
MAX_PDF_PAGE_POINTS = 14_400  # a page side over 200 inches is not rendered
TEXT_PREVIEW_CHARS = 600
TEXT_FORMATS = {file_types.TEXT.media_type, file_types.DOCX.media_type, file_types.ODT.media_type}


@dataclass
class Preview:
    thumbnail: bytes | None = None  # PNG
    text: str | None = None


def make_preview(data, media_type, extracted_text=None):
    if media_type == file_types.PDF.media_type:
        return Preview(thumbnail=safely(pdf_thumbnail, data))
    if media_type in (file_types.JPEG.media_type, file_types.PNG.media_type):
        return Preview(thumbnail=safely(image_thumbnail, data))
    if media_type in TEXT_FORMATS:
        return Preview(text=text_excerpt(extracted_text or ""))
    return Preview()


def safely(make, data):
    try:
        return make(data)
    except Exception as error:  # any library error on a hostile file means: no preview
        log.warning("no preview: %s: %s", type(error).__name__, error)
        return None


def image_thumbnail(data):
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        if width * height > MAX_SOURCE_PIXELS:
            raise ValueError(f"image of {width}x{height} pixels is too large to preview")
        image.draft("RGB", THUMBNAIL_BOX)  # JPEG: decode at a reduced scale
        return png_of(image)


def pdf_thumbnail(data):
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        if len(pdf) < 1:
            return None
        page = pdf[0]
        width, height = page.get_size()
        if not (0 < width <= MAX_PDF_PAGE_POINTS and 0 < height <= MAX_PDF_PAGE_POINTS):
            raise ValueError("page size out of range")
        scale = min(THUMBNAIL_BOX[0] / width, THUMBNAIL_BOX[1] / height)
        bitmap = page.render(scale=scale)
        return png_of(bitmap.to_pil())
    finally:
        pdf.close()


def png_of(image):
    image = image.convert("RGB")
    image.thumbnail(THUMBNAIL_BOX)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def text_excerpt(text):
    words = " ".join(text.split())
    if len(words) <= TEXT_PREVIEW_CHARS:
        return words or None
    return words[:TEXT_PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"
