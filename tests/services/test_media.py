"""Uploaded photos: turned upright from their EXIF orientation, and refused by name when too large."""
import os
from io import BytesIO

import pytest
from PIL import Image

from municipal import media
from municipal.errors import ValidationError


def rotated_jpeg(size=(120, 80), orientation=6) -> bytes:
    """A JPEG stored sideways, as a phone held upright writes it: pixels as the sensor saw them, and an
    EXIF orientation telling viewers to turn it (6: 90° clockwise). Left half red, right half blue."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    return buffer.getvalue()


def test_a_sideways_photo_comes_out_upright_with_its_sides_swapped(app):
    with app.app_context():
        upright = media.load_image(BytesIO(rotated_jpeg()))
    assert upright.size == (80, 120)
    # Turned 90° clockwise, the stored left half (red) is now on top, the right half (blue) below.
    top, bottom = upright.getpixel((40, 10)), upright.getpixel((40, 110))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60


def test_the_stored_copy_and_thumbnail_keep_the_upright_shape(app, db, tmp_path):
    with app.app_context():
        app.config["MEDIA_DIR"], saved = str(tmp_path), app.config["MEDIA_DIR"]
        try:
            path, thumb, size = media.store_image(media.load_image(BytesIO(rotated_jpeg((2400, 1800)))), "probe")
            db.session.commit()
        finally:
            app.config["MEDIA_DIR"] = saved
    assert size == (1200, 1600)
    with Image.open(tmp_path / path) as full, Image.open(tmp_path / thumb) as small:
        assert full.size == (1200, 1600) and small.size == (240, 320)


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(app):
    noise = Image.frombytes("RGB", (1200, 1200), os.urandom(1200 * 1200 * 3))
    buffer = BytesIO()
    noise.save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    assert len(data) > 1024 * 1024
    with app.test_request_context(headers={"Accept-Language": "en"}):
        app.config["PHOTO_MAX_BYTES"], saved = 1024 * 1024, app.config["PHOTO_MAX_BYTES"]
        try:
            with pytest.raises(ValidationError) as refused:
                media.load_image(BytesIO(data), field="photo.cover")
            app.config["PHOTO_MAX_BYTES"] = len(data)
            assert media.load_image(BytesIO(data)).size == (1200, 1200)
        finally:
            app.config["PHOTO_MAX_BYTES"] = saved
    assert refused.value.fields == {"photo.cover": "The photo is larger than 1 MB."}


@pytest.mark.parametrize("content, words", [(b"", "empty"), (b"MZ\x90\x00 not a picture", "not an image")])
def test_an_empty_file_or_one_that_is_not_a_photo_is_refused_by_name(app, content, words):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(ValidationError) as refused:
            media.load_image(BytesIO(content), field="file")
    assert words in refused.value.fields["file"]
