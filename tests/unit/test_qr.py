"""QR encoding: URLs, matrices, SVG and PNG output, checked with a real decoder."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from municipal.assets.identity.qr import QUIET_ZONE, dark_runs, qr_matrix, qr_png, qr_svg, qr_url

URL = "HTTP://127.0.0.1:5000/A/RSV-7K3Q9-G"


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def test_qr_url_is_uppercase_without_double_slash():
    assert qr_url("http://127.0.0.1:5000/", "rsv-7k3q9-g") == URL
    assert qr_url("https://assets.example.gov.cn", "RSV-7K3Q9-G") == (
        "HTTPS://ASSETS.EXAMPLE.GOV.CN/A/RSV-7K3Q9-G"
    )


def test_uppercase_url_uses_alphanumeric_mode_and_small_versions():
    # Alphanumeric mode keeps this URL at version 3 (29 modules) for both Q
    # and H; the lowercase URL needs byte mode and versions 4 and 5.
    assert len(qr_matrix(URL, "Q")) == len(qr_matrix(URL, "H")) == 29
    assert len(qr_matrix(URL.lower(), "Q")) == 33
    assert len(qr_matrix(URL.lower(), "H")) == 37


def test_matrix_is_booleans_without_border():
    matrix = qr_matrix(URL)
    assert all(type(module) is bool for row in matrix for module in row)
    # A finder pattern starts in the very first module: no quiet zone included.
    assert matrix[0][:7] == [True] * 7


def test_unknown_error_correction_level():
    with pytest.raises(ValueError, match="'X'"):
        qr_matrix(URL, "X")


def test_dark_runs_cover_exactly_the_dark_modules():
    matrix = qr_matrix(URL)
    covered = {(row, col + i) for row, col, n in dark_runs(matrix) for i in range(n)}
    dark = {(r, c) for r, row in enumerate(matrix) for c, m in enumerate(row) if m}
    assert covered == dark


@pytest.mark.parametrize("ec", ["Q", "H"])
def test_png_decodes(ec):
    image = Image.open(io.BytesIO(qr_png(URL, ec=ec, scale=6)))
    assert image.mode == "1"
    assert image.size == ((len(qr_matrix(URL, ec)) + 2 * QUIET_ZONE) * 6,) * 2
    (barcode,) = decode(image)
    assert barcode.text == URL
    assert barcode.extra["ECLevel"] == ec
    assert barcode.extra["Version"] == "3"


def test_svg_structure_and_decodes():
    svg = qr_svg(URL, module_px=5)
    root = ET.fromstring(svg)
    size = 29 + 2 * QUIET_ZONE
    assert root.get("viewBox") == f"0 0 {size} {size}"
    assert root.get("width") == str(size * 5)
    assert root.get("shape-rendering") == "crispEdges"
    ns = "{http://www.w3.org/2000/svg}"
    background, path = root.find(f"{ns}rect"), root.findall(f"{ns}path")
    assert background.get("fill") == "#fff" and background.get("width") == str(size)
    assert len(path) == 1

    # Rasterise the path's runs and let a real decoder read them.
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path[0].get("d"))
    assert "".join(f"M{x} {y}h{n}v1h-{n}z" for x, y, n in runs) == path[0].get("d")
    for x, y, n in (map(int, run) for run in runs):
        draw.rectangle([x * scale, y * scale, (x + n) * scale - 1, (y + 1) * scale - 1], fill=0)
    (barcode,) = decode(image)
    assert barcode.text == URL
