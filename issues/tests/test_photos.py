"""Photos registered with an issue: each one is decoded before it is kept, so a file that only
calls itself .png is refused; the formats phones produce are taken; a photo is bounded in size
and an issue in how many it has. The register page answers a refusal with the form, as typed."""

import io
import os
import struct
import time
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, PngImagePlugin

from issues.models import Issue, Photo
from issues.tests.conftest import image_bytes


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def fields(world, category):
    return {
        "village": world.village_a.pk, "category": category.pk, "source": "reception", "title": "排水沟堵塞",
        "description": "下雨时污水漫进民房。", "reporter_name": "张国强", "reporter_phone": "13987654321",
    }


def stored(media):
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize("kind,name,extension", [
    ("JPEG", "IMG_0001.JPG", "jpg"), ("PNG", "屏幕截图.png", "png"), ("WEBP", "wx_camera.webp", "webp"),
    ("HEIF", "IMG_0002.HEIC", "heic"), ("GIF", "动图.gif", "gif"),
    # The name does not decide: a JPEG sent as .png is kept as the JPEG it is.
    ("JPEG", "mislabelled.png", "jpg"),
])
def test_the_formats_phones_produce_are_kept(world, register, media, kind, name, extension):
    issue = register(world, photos=[SimpleUploadedFile(name, image_bytes(kind))])
    photo, = issue.photos.all()
    assert photo.image.name.endswith(f".{extension}")
    with Image.open(photo.image) as kept:
        assert kept.format == kind and kept.size == (64, 48)
        red, green, blue = kept.convert("RGB").getpixel((32, 24))
        assert abs(red - 200) < 12 and abs(green - 80) < 12 and abs(blue - 40) < 12


# Where the photo was taken and by which phone: what must not be kept.
SECRETS = (b"SecretPhoneMaker", b"SN-20261207-GPS", b"xmp-secret-location", b"png-secret-comment")


def exif_with_gps(orientation=1):
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    exif[0xA431] = "SN-20261207-GPS"  # BodySerialNumber
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)  # GPSInfo
    gps[1], gps[2], gps[3], gps[4] = "N", (23.0, 10.0, 5.5), "E", (114.0, 17.0, 8.25)
    return exif


def photo_with_metadata(kind, orientation=1):
    """A 64×48 picture whose left half is red, with EXIF (GPS, make, serial, orientation) and, where
    the format has them, XMP, PNG text chunks and a comment."""
    image = Image.new("RGB", (64, 48), (255, 255, 255))
    image.paste((220, 0, 0), (0, 0, 32, 48))
    options = {"exif": exif_with_gps(orientation).tobytes()}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">xmp-secret-location</x:xmpmeta>'
    if kind == "JPEG":
        options.update(comment=b"png-secret-comment", xmp=xmp)
    elif kind == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "png-secret-comment")
        text.add_itxt("XML:com.adobe.xmp", xmp.decode())
        text.add_text("Location", "png-secret-comment", zip=True)
        options["pnginfo"] = text
    elif kind in ("WEBP", "HEIF"):
        options["xmp"] = xmp
    elif kind == "GIF":
        options = {"comment": b"png-secret-comment"}
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    sent = buffer.getvalue()
    assert any(secret in sent for secret in SECRETS)
    return sent


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "HEIF", "GIF"])
def test_a_photo_is_kept_without_its_metadata(world, register, media, kind):
    issue = register(world, photos=[SimpleUploadedFile("IMG_0003", photo_with_metadata(kind))])
    photo, = issue.photos.all()
    kept = photo.image.read()
    for secret in SECRETS:
        assert secret not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == kind and image.size == (64, 48)
        assert not image.getexif() and not image.getexif().get_ifd(0x8825)
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "Location"):
            assert not image.info.get(key), key
    if kind == "PNG":
        assert not {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} & {kept[i:i + 4] for i in range(len(kept) - 4)}
    # What was stored is all there is: no copy of the file sent anywhere.
    assert stored(media) == [media / photo.image.name]


def test_a_photo_taken_sideways_is_stored_upright(world, as_user, fields, media, monday_before):
    """The orientation tag goes with the rest of the EXIF: the pixels are turned first."""
    sideways = photo_with_metadata("JPEG", orientation=6)  # the phone was turned: show it turned 90°
    client = as_user(world.cadre)
    response = client.post(reverse("issue-register"), {**fields, "photos": [SimpleUploadedFile("a.jpg", sideways)]})
    assert response.status_code == 302
    kept = Issue.objects.get().photos.get().image.read()
    assert b"SecretPhoneMaker" not in kept and b"SN-20261207-GPS" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (48, 64) and not image.getexif()
        # The red left half of the picture is now its top.
        assert image.getpixel((24, 8))[0] > 180 and image.getpixel((24, 8))[1] < 60
        assert image.getpixel((24, 56)) > (200, 200, 200)


@pytest.mark.parametrize("name,content", [
    ("random.png", os.urandom(4096)),
    ("truncated.jpg", image_bytes("JPEG", (640, 480))[:600]),
    ("empty-ish.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
    ("page.heic", b"<html><script>alert(1)</script></html>"),
    ("vector.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("picture.bmp", b"BM" + os.urandom(200)),
], ids=lambda value: value if isinstance(value, str) else "")
def test_a_file_that_does_not_decode_is_refused_on_the_page_and_nothing_is_stored(
    world, as_user, fields, media, monday_before, name, content
):
    client = as_user(world.cadre)
    good = SimpleUploadedFile("ok.jpg", image_bytes("JPEG"))
    response = client.post(reverse("issue-register"), {**fields, "photos": [good, SimpleUploadedFile(name, content)]})
    assert response.status_code == 200
    errors = response.context["form"].errors["photos"]
    assert errors == [f"“{name}”不是能识别的照片（可上传 JPG、PNG、WebP、HEIC、GIF 格式）。"]
    assert response.context["form"]["title"].value() == "排水沟堵塞"
    assert not Issue.objects.exists() and not Photo.objects.exists() and not stored(media)


def test_a_photo_larger_than_the_bound_is_refused(world, register, media, settings):
    settings.PHOTO_MAX_BYTES = 50 * 1024
    big = image_bytes("PNG", (600, 600)) + os.urandom(60 * 1024)
    with pytest.raises(ValidationError) as refused:
        register(world, photos=[SimpleUploadedFile("big.png", big)])
    assert refused.value.message_dict["photos"] == ["照片“big.png”超过了 50.0\xa0KB，请压缩后再上传。"]
    assert not Issue.objects.exists() and not stored(media)


def test_an_issue_takes_at_most_the_configured_number_of_photos(world, as_user, fields, media, monday_before, settings):
    settings.PHOTOS_PER_ISSUE = 9
    client = as_user(world.cadre)
    photos = [SimpleUploadedFile(f"p{i}.jpg", image_bytes("JPEG")) for i in range(10)]
    response = client.post(reverse("issue-register"), {**fields, "photos": photos})
    assert response.context["form"].errors["photos"] == ["每个问题最多上传 9 张照片，这次选了 10 张。"]
    assert not Issue.objects.exists() and not stored(media)
    photos = [SimpleUploadedFile(f"p{i}.jpg", image_bytes("JPEG")) for i in range(9)]
    assert client.post(reverse("issue-register"), {**fields, "photos": photos}).status_code == 302
    assert Issue.objects.get().photos.count() == 9


def _claiming(png, width, height):
    """The PNG with its header claiming another size (and the header's checksum to match)."""
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("width,height", [(20000, 20000), (10000, 9000)])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(world, register, media, width, height):
    # A few hundred bytes that would take gigabytes to decode.
    bomb = _claiming(image_bytes("PNG", (1, 1)), width, height)
    with pytest.raises(ValidationError) as refused:
        register(world, photos=[SimpleUploadedFile("bomb.png", bomb)])
    assert refused.value.message_dict["photos"] == ["照片“bomb.png”超过了 40 百万像素，请缩小后再上传。"]
    assert not stored(media)


def png_of_zeros(width, height):
    """A real, whole 1-bit PNG of `width`×`height` black pixels: its rows compress to almost
    nothing, so a few KB decode to tens of millions of pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = zlib.compress(b"\x00" * ((width + 7) // 8 + 1) * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_a_photo_of_88_megapixels_is_refused_from_its_header(world, as_user, fields, media, monday_before):
    """11000×8000 is under Pillow's own bomb bound (89.5 million): it used to be decoded and kept."""
    eighty_eight = png_of_zeros(11000, 8000)
    assert len(eighty_eight) < 20 * 1024
    client = as_user(world.cadre)
    started = time.monotonic()
    response = client.post(reverse("issue-register"), {
        **fields, "photos": [SimpleUploadedFile("scan.png", eighty_eight)],
    })
    assert time.monotonic() - started < 2  # refused before a pixel is decoded
    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == ["照片“scan.png”超过了 40 百万像素，请缩小后再上传。"]
    assert not Issue.objects.exists() and not stored(media)


def test_the_pixel_bound_is_the_setting(world, register, media, settings):
    settings.PHOTO_MAX_PIXELS = 3000
    with pytest.raises(ValidationError) as refused:
        register(world, photos=[SimpleUploadedFile("a.png", image_bytes("PNG", (64, 48)))])  # 3072 pixels
    assert "a.png" in refused.value.message_dict["photos"][0]
    issue = register(world, photos=[SimpleUploadedFile("b.png", image_bytes("PNG", (60, 50)))])  # 3000 pixels
    assert issue.photos.count() == 1


def test_the_register_page_takes_a_body_as_large_as_its_photos_need(
        world, as_user, fields, media, monday_before, settings):
    """Every other page and endpoint is bounded by REQUEST_MAX_BYTES; the register page may send
    its photos on top."""
    settings.REQUEST_MAX_BYTES = 64 * 1024
    settings.PHOTO_MAX_BYTES = 512 * 1024
    settings.PHOTOS_PER_ISSUE = 2
    settings.UPLOAD_MAX_BYTES = 64 * 1024 + 2 * 512 * 1024
    photo = image_bytes("PNG", (300, 300)) + b"\x00" * (200 * 1024)  # a PNG with trailing bytes still decodes
    client = as_user(world.cadre)
    response = client.post(reverse("issue-register"), {**fields, "photos": [SimpleUploadedFile("a.png", photo)]})
    assert response.status_code == 302 and Issue.objects.get().photos.count() == 1
    too_much = [SimpleUploadedFile(f"{i}.png", photo + b"\x00" * (300 * 1024)) for i in range(3)]
    response = client.post(reverse("issue-register"), {**fields, "photos": too_much})
    assert response.status_code == 413
    assert "一次最多只能提交 1.1\xa0MB" in response.content.decode()
    assert Issue.objects.count() == 1
