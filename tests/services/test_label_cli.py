"""`municipal labels`: the PDF's QR codes decode to the facilities' scan URLs; each run is a print batch."""
import pypdfium2
import sqlalchemy as sa
import zxingcpp
from pypdf import PdfReader

from municipal.assets.identity.qr import qr_url
from municipal.assets.models import PrintBatch, PrintBatchItem


def decoded_urls(path):
    urls = []
    for page in pypdfium2.PdfDocument(str(path)):
        image = page.render(scale=200 / 72).to_pil()
        urls += [result.text for result in zxingcpp.read_barcodes(image)]
    return urls


def test_sheet_for_a_type_decodes_and_is_recorded(app, db, make_asset, tmp_path):
    manholes = [make_asset("manhole", f"福新路{i}号井") for i in range(5)]
    make_asset("reservoir", "登云水库")
    out = tmp_path / "sheet.pdf"
    result = app.test_cli_runner().invoke(args=["labels", "--out", str(out), "--type", "manhole"])
    assert result.exit_code == 0, result.output
    expected = {qr_url(app.config["PUBLIC_URL"], a.code.code) for a in manholes}
    assert sorted(decoded_urls(out)) == sorted(expected)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "福新路0号井" in text and "登云水库" not in text
    batch = db.session.scalar(sa.select(PrintBatch))
    assert (batch.preset, batch.label_count) == ("sheet", 5)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrintBatchItem)) == 5


def test_nameplate_by_code_and_bad_input(app, db, make_asset, tmp_path):
    dam = make_asset("reservoir", "登云水库")
    out = tmp_path / "plate.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["labels", "--out", str(out), "--preset", "nameplate", "--codes", dam.code.code.lower()])
    assert result.exit_code == 0, result.output
    assert decoded_urls(out) == [qr_url(app.config["PUBLIC_URL"], dam.code.code)]
    typo = dam.code.code[:-1] + ("0" if dam.code.code[-1] != "0" else "1")
    refused = runner.invoke(args=["labels", "--out", str(tmp_path / "x.pdf"), "--codes", typo])
    assert refused.exit_code == 2 and ("check character" in refused.output or "校验位" in refused.output)
    empty = runner.invoke(args=["labels", "--out", str(tmp_path / "y.pdf"), "--type", "bridge"])
    assert empty.exit_code == 2 and not (tmp_path / "y.pdf").exists()


def test_new_unbound_codes_are_issued_and_printed_as_stock(app, db, make_asset, tmp_path):
    from municipal.assets.models import CodeEvent, IdentityCode

    make_asset("manhole", "福新路1号井")
    out = tmp_path / "stock.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["labels", "--out", str(out), "--new", "3", "--type", "manhole"])
    assert result.exit_code == 0, result.output
    new = db.session.scalars(sa.select(IdentityCode).where(IdentityCode.status == "unbound")).all()
    assert len(new) == 3 and all(code.code.startswith("MH-") for code in new)
    assert sorted(decoded_urls(out)) == sorted(qr_url(app.config["PUBLIC_URL"], code.code) for code in new)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "待登记设施" in text and "福新路1号井" not in text
    actions = db.session.scalars(sa.select(CodeEvent.action).where(CodeEvent.code_id == new[0].id)
                                 .order_by(CodeEvent.id)).all()
    assert actions == ["issued", "printed"]
    # Printed again later by their codes, while still unbound.
    again = runner.invoke(args=["labels", "--out", str(tmp_path / "again.pdf"), "--codes", new[0].code])
    assert again.exit_code == 0, again.output
    assert decoded_urls(tmp_path / "again.pdf") == [qr_url(app.config["PUBLIC_URL"], new[0].code)]
    refused = runner.invoke(args=["labels", "--out", str(tmp_path / "x.pdf"), "--new", "3"])
    assert refused.exit_code == 2 and "--type" in refused.output


def test_a_facility_s_code_history_holds_its_issue_and_its_printing(app, db, make_asset, tmp_path):
    from municipal.assets import history

    dam = make_asset("reservoir", "登云水库")
    result = app.test_cli_runner().invoke(args=["labels", "--out", str(tmp_path / "p.pdf"), "--preset",
                                                "nameplate", "--codes", dam.code.code])
    assert result.exit_code == 0, result.output
    assert [event.action for event in history.code_history(dam)][-1] == "printed"
    assert "issued" in [event.action for event in history.code_history(dam)]
