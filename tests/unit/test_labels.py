"""Label PDFs: every QR decodes, Chinese text is extractable, fonts are embedded."""

import io
import subprocess
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel
from pypdf import PdfReader
from reportlab.lib.units import mm

from municipal.assets.identity.qr import qr_url
from municipal.assets.labels import sheets as labels
from municipal.assets.labels.sheets import PRESETS, LabelItem, render_labels

PUBLIC_URL = "http://127.0.0.1:5000"
ZH_PO = Path(__file__).parents[2] / "municipal/translations/zh/LC_MESSAGES/messages.po"
STREETS = ["人民大道", "解放路", "建设路", "滨江东路", "东湖南路", "文昌街"]
TYPES = [("RSV", "蓄水池"), ("PIP", "给水管道"), ("MH", "检查井"), ("RD", "道路"), ("STN", "泵站")]
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def make_items(count: int) -> list[LabelItem]:
    items = []
    for i in range(count):
        prefix, type_label = TYPES[i % len(TYPES)]
        body = "".join(CROCKFORD[(i * 7 + k * 13) % 32] for k in range(5))
        code = f"{prefix}-{body}-{CROCKFORD[i % 32]}"
        items.append(LabelItem(
            code=code, url=qr_url(PUBLIC_URL, code),
            name=f"{STREETS[i % len(STREETS)]}{i + 1}号{type_label}", type_label=type_label,
            owner_unit="滨江区水务局", maintenance_unit="滨江区市政设施养护中心", area="东湖片区",
        ))
    return items


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A bare Flask app whose zh catalogue is the labels' PO fragment."""
    translations = tmp_path_factory.mktemp("translations")
    (translations / "zh/LC_MESSAGES").mkdir(parents=True)
    with ZH_PO.open("rb") as po, (translations / "zh/LC_MESSAGES/messages.mo").open("wb") as mo:
        write_mo(mo, read_po(po, locale="zh"))
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    Babel(app, locale_selector=lambda: app.config["TEST_LOCALE"])
    return app


def render(app, items, preset, locale="zh", **kwargs) -> bytes:
    app.config["TEST_LOCALE"] = locale
    with app.test_request_context():
        return render_labels(items, preset, **kwargs)


@pytest.fixture(scope="module")
def sheet_items():
    return make_items(30)


@pytest.fixture(scope="module")
def sheet_pdf(app, sheet_items):
    return render(app, sheet_items, "sheet")


@pytest.fixture(scope="module")
def nameplate_items():
    return make_items(2)


@pytest.fixture(scope="module")
def nameplate_pdf(app, nameplate_items):
    return render(app, nameplate_items, "nameplate")


def decode_pages(pdf: bytes, dpi: int = 300) -> list[list[zxingcpp.Barcode]]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            pages.append(zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))
        return pages
    finally:
        document.close()


def font_descriptors(reader: PdfReader):
    """Yield (font name, descriptor) for every font on every page, descending into Type0."""
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.get_object().values():
            font = font.get_object()
            for part in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                # A Type0 font has no glyphs of its own; its descendants do.
                if part.get("/Subtype") != "/Type0":
                    yield part.get("/BaseFont"), part.get("/FontDescriptor")


def test_sheet_qr_codes_all_decode(sheet_pdf, sheet_items):
    pages = decode_pages(sheet_pdf)
    assert len(pages) == 2  # 24 labels per A4 sheet
    decoded = [barcode for page in pages for barcode in page]
    assert sorted(b.text for b in decoded) == sorted(item.url for item in sheet_items)
    assert {b.extra["ECLevel"] for b in decoded} == {"Q"}


def test_nameplate_qr_codes_all_decode(nameplate_pdf, nameplate_items):
    pages = decode_pages(nameplate_pdf)
    assert [[b.text for b in page] for page in pages] == [[i.url] for i in nameplate_items]
    assert {b.extra["ECLevel"] for page in pages for b in page} == {"H"}


@pytest.mark.parametrize("which", ["sheet", "nameplate"])
def test_chinese_text_is_extractable(which, request):
    pdf = request.getfixturevalue(f"{which}_pdf")
    items = request.getfixturevalue(f"{which}_items")
    pages = PdfReader(io.BytesIO(pdf)).pages
    # Names may wrap onto two lines.
    text = "".join(page.extract_text() for page in pages).replace("\n", "")
    for item in items:
        assert item.name in text
        assert item.code in text
    assert "扫码查看" in text


def test_nameplate_reads_like_chinese_signage(nameplate_pdf):
    reader = PdfReader(io.BytesIO(nameplate_pdf))
    assert reader.metadata.title == "二维码标签"
    text = reader.pages[0].extract_text()
    for expected in ["市政设施 · 蓄水池", "产权单位：滨江区水务局",
                     "管养单位：滨江区市政设施养护中心", "所在片区：东湖片区", "问题反映请拨打 12345"]:
        assert expected in text


def test_english_captions(app, nameplate_items):
    pdf = render(app, nameplate_items[:1], "nameplate", locale="en")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Owner: 滨江区水务局" in text
    assert "Report problems: 12345 hotline" in text


@pytest.mark.parametrize("which", ["sheet", "nameplate"])
def test_every_font_is_embedded(which, request):
    reader = PdfReader(io.BytesIO(request.getfixturevalue(f"{which}_pdf")))
    fonts = list(font_descriptors(reader))
    assert fonts
    for name, descriptor in fonts:
        assert descriptor is not None, f"{name} has no font descriptor"
        descriptor = descriptor.get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), f"{name} not embedded"


def test_nameplate_geometry(nameplate_pdf):
    preset = PRESETS["nameplate"]
    assert preset.ec == "H"
    assert preset.page_mm[0] >= 100 and preset.page_mm[1] >= 70
    assert preset.qr_mm >= 36
    box = PdfReader(io.BytesIO(nameplate_pdf)).pages[0].mediabox
    assert float(box.width) >= 100 * mm and float(box.height) >= 70 * mm


def test_sheet_geometry():
    preset = PRESETS["sheet"]
    assert preset.ec == "Q"
    assert preset.qr_mm >= 20
    assert preset.qr_mm <= min(preset.label_mm)
    # The grid fits on the page.
    assert preset.margin_mm[0] + preset.columns * preset.label_mm[0] <= preset.page_mm[0]
    assert preset.margin_mm[1] + preset.rows * preset.label_mm[1] <= preset.page_mm[1]


def test_long_names_are_shortened_not_overflowing(app):
    item = make_items(1)[0]
    item.name = "建设路与人民大道交叉口东北角污水检查井以及附属雨水口和连接管道" * 2
    pdf = render(app, [item], "sheet")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "…" in text
    assert item.name not in text


def test_progress_is_reported(app):
    calls = []
    render(app, make_items(3), "sheet", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_unknown_preset(app):
    with pytest.raises(ValueError, match="'poster'"):
        render(app, make_items(1), "poster")


def test_missing_font_explains_how_to_install(monkeypatch):
    def substitute_font(*args, **kwargs):
        # What fc-match prints when the requested family is not installed.
        return subprocess.CompletedProcess(args, 0, stdout="/usr/share/fonts/DejaVuSans.ttf")

    monkeypatch.setattr(labels, "_FONT_PATHS", ())
    monkeypatch.setattr(labels.subprocess, "run", substitute_font)
    with pytest.raises(RuntimeError, match="scripts/install_system_deps.sh"):
        labels._find_font_file()
