"""Photos of a problem as phones take them (JPEG, PNG, WebP, HEIC, GIF): each one is decoded
with Pillow before it is kept, so that a file is stored only if it is such a picture, bounded in
bytes and in pixels (the pixels read from its header, before anything is decoded), and under
the extension of the format it decoded as, whatever its name said.

What is stored is never the file sent but the picture encoded again, alone: turned upright as its
EXIF orientation says, then without any metadata — no EXIF (a phone's photo carries where it was
taken, GPS being personal data, and the phone's make and serial), no XMP, no PNG text chunks, no
comments, no thumbnails. Only the colour profile stays, and a palette's transparency. An animated
GIF or WebP keeps its first frame: a photo of a problem needs no more."""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, JpegImagePlugin
from pillow_heif import register_heif_opener

register_heif_opener()

# Pillow's format → the extension the photo is stored (and served) under. Only these decoders
# are tried: a file never reaches Pillow's other, rarer ones.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic", "GIF": "gif"}

# What of a picture's own information survives its new encoding: nothing about the person or
# the phone, only what its pixels need to look the same.
KEPT_INFO = ("icc_profile", "transparency")


class CleanPhoto(ContentFile):
    """A photo `accept` has encoded again: taken as it is if it passes through `accept` once more
    (the register form checks the photos, then the service it calls)."""


def _encoding(kind, source):
    """Pillow's save options for `kind`: a JPEG keeps its quantisation tables (about its size and
    quality); the others a high quality."""
    if kind == "JPEG":
        options = {"quality": 90}
        if getattr(source, "quantization", None):
            options = {"qtables": source.quantization}
            sampling = JpegImagePlugin.get_sampling(source)
            if sampling != -1:
                options["subsampling"] = sampling
        return options
    if kind in ("WEBP", "HEIF"):
        return {"quality": 90}
    if kind == "PNG":
        return {"optimize": False}
    return {}


def _clean(image, kind):
    """The picture's pixels (first frame), upright, encoded again as `kind` with no metadata."""
    image.load()
    clean = ImageOps.exif_transpose(image)  # a copy, turned as the orientation tag said
    clean.info = {key: image.info[key] for key in KEPT_INFO if key in image.info}
    if kind == "JPEG" and clean.mode not in ("L", "RGB", "CMYK"):
        clean = clean.convert("RGB")
    buffer = io.BytesIO()
    clean.save(buffer, kind, **_encoding(kind, image))
    return buffer.getvalue()


class TooManyPixels(Exception):
    pass


def _cleaned(file):
    """(format, the re-encoded bytes) if Pillow reads the file through as one of ours, else None;
    TooManyPixels, before anything is decoded, if its header says more than PHOTO_MAX_PIXELS."""
    try:
        file.seek(0)
        # Opening reads the header only: the size is known before a pixel is decoded.
        with Image.open(file, formats=list(EXTENSIONS)) as image:
            if image.width * image.height > settings.PHOTO_MAX_PIXELS:
                raise TooManyPixels
            image.verify()
        file.seek(0)
        with Image.open(file, formats=list(EXTENSIONS)) as image:
            kind = image.format
            return kind, _clean(image, kind)
    except (TooManyPixels, Image.DecompressionBombError):
        # Pillow's own bound (twice MAX_IMAGE_PIXELS) refuses the largest claims in Image.open.
        raise TooManyPixels from None
    except Exception:  # a malformed file makes Pillow raise almost anything
        return None
    finally:
        file.seek(0)


def accept(files):
    """The uploaded photos, each encoded again without its metadata and named with the extension
    of its format; a ValidationError that names every file refused, or says there are too many."""
    files = list(files)
    limit = settings.PHOTOS_PER_ISSUE
    if len(files) > limit:
        raise ValidationError(
            _("At most %(limit)d photos can be attached to an issue; %(count)d were sent.")
            % {"limit": limit, "count": len(files)}
        )
    largest = filesizeformat(settings.PHOTO_MAX_BYTES)
    errors = []
    accepted = []
    for file in files:
        if isinstance(file, CleanPhoto):
            accepted.append(file)
            continue
        name = (file.name or "")[:60]
        if file.size > settings.PHOTO_MAX_BYTES:
            errors.append(_("%(name)s is larger than %(size)s.") % {"name": name, "size": largest})
            continue
        try:
            cleaned = _cleaned(file)
        except TooManyPixels:
            errors.append(_("%(name)s has more than %(limit)s million pixels: send a smaller picture.")
                          % {"name": name, "limit": settings.PHOTO_MAX_PIXELS // 1_000_000})
            continue
        if cleaned is None:
            errors.append(_("%(name)s is not a photo in a format we take (JPG, PNG, WebP, HEIC or GIF).")
                          % {"name": name})
            continue
        kind, content = cleaned
        accepted.append(CleanPhoto(content, name=f"photo.{EXTENSIONS[kind]}"))
    if errors:
        raise ValidationError(errors)
    return accepted
