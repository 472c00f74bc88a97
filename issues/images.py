"""Photos of a problem as phones take them (JPEG, PNG, WebP, HEIC, GIF): each one is decoded
with Pillow before it is kept, so that a file is stored only if it is such a picture, bounded in
size, and under the extension of the format it decoded as, whatever its name said."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image
from pillow_heif import register_heif_opener

register_heif_opener()

# Pillow's format → the extension the photo is stored (and served) under. Only these decoders
# are tried: a file never reaches Pillow's other, rarer ones.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic", "GIF": "gif"}


def _decoded_format(file):
    """The file's format if Pillow reads it through as one of ours, else None."""
    try:
        file.seek(0)
        with Image.open(file, formats=list(EXTENSIONS)) as image:
            image.verify()
        file.seek(0)
        with Image.open(file, formats=list(EXTENSIONS)) as image:
            if image.width * image.height > Image.MAX_IMAGE_PIXELS:
                return None
            # A JPEG decodes at an eighth of its size: every byte is still read, in a
            # sixty-fourth of the memory.
            image.draft("RGB", (image.width // 8, image.height // 8))
            image.load()
            return image.format
    except Exception:  # a malformed file makes Pillow raise almost anything
        return None
    finally:
        file.seek(0)


def accept(files):
    """The uploaded photos, each renamed to the extension of its format; a ValidationError
    that names every file refused, or says there are too many."""
    files = list(files)
    limit = settings.PHOTOS_PER_ISSUE
    if len(files) > limit:
        raise ValidationError(
            _("At most %(limit)d photos can be attached to an issue; %(count)d were sent.")
            % {"limit": limit, "count": len(files)}
        )
    largest = filesizeformat(settings.PHOTO_MAX_BYTES)
    errors = []
    for file in files:
        name = (file.name or "")[:60]
        if file.size > settings.PHOTO_MAX_BYTES:
            errors.append(_("%(name)s is larger than %(size)s.") % {"name": name, "size": largest})
            continue
        kind = _decoded_format(file)
        if kind is None:
            errors.append(_("%(name)s is not a photo in a format we take (JPG, PNG, WebP, HEIC or GIF).")
                          % {"name": name})
            continue
        file.name = f"photo.{EXTENSIONS[kind]}"
    if errors:
        raise ValidationError(errors)
    return files
