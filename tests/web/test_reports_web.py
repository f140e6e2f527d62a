"""Annual reports end to end: the PDF's text and fonts, the API, the pages, the queue and who may see what.

Rendering a PDF costs a second or two, so the PDFs are rendered once for the module, from the same
hand-counted year the service tests use (tests/report_seed.py), and then read by several tests.
"""
import hashlib
import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from municipal.db import utcnow
from municipal.extensions import db as _db
from municipal.reports import queries, render
from municipal.reports.scope import SystemActor, parse_scope
from tests import report_seed
from tests.conftest import csrf_token, empty_tables


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def _fonts(data: bytes) -> list[tuple[str, bool]]:
    """(font name, embedded?) of every font on every page, descendants of composite fonts included."""
    found = []
    for page in PdfReader(BytesIO(data)).pages:
        resources = page.get("/Resources")
        for font in (resources.get_object().get("/Font") or {}).values() if resources else ():
            font = font.get_object()
            for target in [font, *(d.get_object() for d in font.get("/DescendantFonts") or [])]:
                descriptor = target.get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                found.append((str(target.get("/BaseFont")),
                              any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))))
    return found


@pytest.fixture(scope="module")
def rendered(app):
    with app.app_context(), app.test_request_context():
        seeded = report_seed.seed(_db, app.config["MEDIA_DIR"])
        cutoff = utcnow()
        facility = parse_scope(f"facility:{seeded['reservoir'].id}")
        pdfs = {
            "zh": render.render_pdf(queries.annual(SystemActor(), facility, 2025, cutoff), "zh"),
            "en": render.render_pdf(queries.annual(SystemActor(), facility, 2025, cutoff), "en"),
            "district": render.render_pdf(queries.annual(SystemActor(), parse_scope("district"), 2025, cutoff), "zh"),
        }
        empty_tables(_db)
    return {name: {"data": data, "pages": pages, "text": _text(data)} for name, (data, pages) in pdfs.items()}


def test_the_reservoir_pdf_holds_the_hand_counted_year_in_chinese(rendered):
    pdf = rendered["zh"]
    text = re.sub(r"[ \t]+", " ", pdf["text"])
    assert pdf["data"].startswith(b"%PDF-") and pdf["pages"] >= 4
    for heading in ("登云水库 2025 年度检查报告", "目录", "设施概况", "巡查检查情况", "隐患及整改", "维修养护",
                    "年度事件", "下年度计划", "签字", "福州市晋安区城市管理局"):
        assert heading in text, heading
    for fact in ("小(1)型", "土坝", "林建国", "陈工", "王巡查", "二类", "鼓山水利站", "未登记"):
        assert fact in text, fact
    # totals row of the inspections table: 7 due, 4 on time, 1 late, 1 missed, 1 overdue, 0 not yet due, 71.4 %
    assert re.search(r"7 4 1 1 1 0 71\.4%", text)
    assert "240.0 小时" in text  # mean time to repair
    flat = re.sub(r"\s+", "", text)  # cells wrap where the column ends, at a space too
    assert "已于2025-03-20整改" in flat and "未整改：无工单" in flat and "未整改：WO-000004，期限2025-07-01" in flat
    assert "照片缺失" in flat and "有1张照片在存储中缺失" in flat
    assert "暴雨" in text
    assert re.search(r"第 1 页 / 共 \d+ 页|第 2 页 / 共 \d+ 页", text)


def test_every_font_in_the_pdfs_is_embedded(rendered):
    for name in ("zh", "en", "district"):
        fonts = _fonts(rendered[name]["data"])
        assert fonts, name
        assert [font for font, embedded in fonts if not embedded] == [], name


def test_the_same_template_in_english(rendered):
    text = rendered["en"]["text"]
    for heading in ("Annual inspection report 2025: 登云水库", "Findings and rectification", "Plan for next year"):
        assert heading in text
    assert "Page 2 of" in text and "not recorded" in text


def test_the_district_pdf_summarises_every_reservoir(rendered):
    text = rendered["district"]["text"]
    for words in ("全区汇总", "登云水库", "青山水库", "按设施类型", "按区域", "各月完成率", "隐患按严重程度及整改情况",
                  "共 1 项任务已逾期（含往年遗留的长期义务）", "有 1 处隐患超过整改期限仍未整改"):
        assert words in text, words


@pytest.fixture
def year(app, db):
    return report_seed.seed(db, app.config["MEDIA_DIR"])


def _login(client, username):
    response = client.post("/login", data={"username": username, "password": report_seed.PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_the_api_gives_the_reports_numbers(client, year):
    _login(client, "viewer")
    response = client.get(f"/api/v1/reports/annual?year=2025&scope={year['reservoir'].code.code}")
    assert response.status_code == 200, response.json
    [facility] = response.json["facilities"]
    totals = facility["inspections"]["totals"]
    assert {name: totals[name] for name in report_seed.EXPECTED} == report_seed.EXPECTED
    assert totals["completion_rate"] == 0.7143
    assert facility["work"]["count"] == 3 and len(facility["findings"]) == 3


def test_a_scope_names_its_facility_by_the_code_in_any_spelling(client, year):
    """The scope reads codes as the scan page does: lower case, no hyphens, O for 0 and I for 1."""
    _login(client, "viewer")
    code = year["reservoir"].code.code
    for text in (code.lower(), code.replace("-", ""), f"facility:{code.lower().replace('0', 'o').replace('1', 'i')}"):
        response = client.get(f"/api/v1/reports/annual?year=2025&scope={text}")
        assert response.status_code == 200, (text, response.json)
        assert response.json["facilities"][0]["identity"]["code"] == code


def test_a_wide_scope_is_never_read_in_the_web_worker(client, db, year):
    from municipal.jobs import runner
    from municipal.jobs.registry import JOBS
    from municipal.reports.models import Report

    _login(client, "viewer")
    # Nothing archived yet: a viewer cannot ask for it, and nothing is read in the request.
    assert client.get("/api/v1/reports/annual?year=2025&scope=district").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/annual-reports")})
    _login(client, "admin")
    # Looking never asks for work: a GET finds nothing made and says how to ask.
    assert client.get("/api/v1/reports/annual?year=2025&scope=district").status_code == 404
    page = client.get("/annual-reports/view?year=2025&scope=type:reservoir")
    assert page.status_code == 404 and 'action="/annual-reports"' in page.get_data(as_text=True)
    assert db.session.query(Report).count() == 0
    queued = client.post("/api/v1/reports/annual?year=2025&scope=district",
                         headers={"X-CSRFToken": csrf_token(client, "/annual-reports")})
    assert queued.status_code == 202 and queued.json["status"] == "queued"
    asked = client.post("/annual-reports", data={"year": "2025", "scope": "type:reservoir", "lang": "zh",
                                                 "csrf_token": csrf_token(client, "/annual-reports")})
    assert asked.status_code == 302 and "/annual-reports/" in asked.headers["Location"]
    assert runner.run(JOBS["reports"], utcnow()).count == 2
    district = client.get("/api/v1/reports/annual?year=2025&scope=district").json
    # The district counts as the compliance page does: 青山水库's patrol before its start is among them.
    assert district["summary"]["totals"]["total"] == 9 and district["report"]["id"] == queued.json["report"]["id"]
    archived = client.get("/annual-reports/view?year=2025&scope=type:reservoir")
    assert archived.status_code == 302 and archived.headers["Location"].endswith("/page")
    shown = client.get(archived.headers["Location"])
    assert shown.status_code == 200 and "登云水库" in shown.get_data(as_text=True)


def test_bad_input_is_refused_with_the_field_named(client, year):
    _login(client, "admin")
    future = client.get(f"/api/v1/reports/annual?year={utcnow().year + 1}")
    assert future.status_code == 422 and "year" in future.json["error"]["fields"]
    assert client.get("/api/v1/reports/annual").json["error"]["fields"].keys() == {"year"}
    unknown_type = client.get("/api/v1/reports/annual?year=2025&scope=type:castle")
    assert unknown_type.status_code == 422 and "scope" in unknown_type.json["error"]["fields"]
    unknown = client.get("/api/v1/reports/annual?year=2025&scope=facility:RSV-00000-0")
    assert unknown.status_code == 404 and "scope" in unknown.json["error"]["fields"]
    page = client.get("/annual-reports/view?year=2025&scope=facility:1&lang=fr")
    assert page.status_code == 422


def test_out_of_area_scopes_are_forbidden(client, db, year):
    year["users"]["supervisor"].areas.append(year["towns"]["yuefeng"])
    db.session.commit()
    _login(client, "supervisor")
    theirs = f"facility:{year['reservoir'].id}"
    assert client.get(f"/api/v1/reports/annual?year=2025&scope={theirs}").status_code == 403
    assert client.get("/api/v1/reports/annual?year=2025&scope=district").status_code == 403
    assert client.get(f"/annual-reports/view?year=2025&scope={theirs}").status_code == 403
    response = client.post("/annual-reports", data={"year": "2025", "scope": theirs, "lang": "zh",
                                             "csrf_token": csrf_token(client, "/annual-reports")})
    assert response.status_code == 403
    mine = client.get(f"/api/v1/reports/annual?year=2025&scope=facility:{year['later'].id}")
    assert mine.status_code == 200
    page = client.get("/annual-reports").get_data(as_text=True)
    assert "青山水库" in page and "登云水库" not in page


def test_the_print_ready_page(client, year):
    _login(client, "viewer")
    response = client.get(f"/annual-reports/view?year=2025&scope=facility:{year['reservoir'].id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "登云水库 2025 年度检查报告" in page and "71.4%" in page and "<svg" in page
    assert "照片缺失" in page and "data:image/jpeg;base64," in page
    english = client.get(f"/annual-reports/view?year=2025&scope=facility:{year['reservoir'].id}&lang=en")
    assert "Annual inspection report 2025" in english.get_data(as_text=True)


def test_ask_wait_download(app, client, db, year):
    from municipal.jobs import runner
    from municipal.jobs.registry import JOBS
    from municipal.reports.models import Report

    _login(client, "supervisor")
    assert "年度检查报告" in client.get("/annual-reports").get_data(as_text=True)
    response = client.post("/annual-reports", data={"year": "2025", "scope": f"facility:{year['reservoir'].id}",
                                             "lang": "zh", "csrf_token": csrf_token(client, "/annual-reports")})
    assert response.status_code == 302
    location = response.headers["Location"]
    waiting = client.get(location).get_data(as_text=True)
    assert "等待调度程序开始生成" in waiting and 'http-equiv="refresh"' in waiting
    assert runner.run(JOBS["reports"], utcnow()).count == 1
    ready = client.get(location).get_data(as_text=True)
    assert "下载 PDF" in ready and 'http-equiv="refresh"' not in ready
    row = db.session.query(Report).one()
    download = client.get(f"/annual-reports/{row.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == row.sha256 and row.sha256 in ready
    download.close()
    archive = client.get("/annual-reports").get_data(as_text=True)
    assert f"/annual-reports/{row.id}/download" in archive
    future = client.post("/annual-reports", data={"year": "2099", "scope": "district", "lang": "zh",
                                           "csrf_token": csrf_token(client, "/annual-reports")})
    assert future.status_code == 422 and "2099" in future.get_data(as_text=True)
    forged = client.post("/annual-reports", data={"year": "2025", "scope": "district", "lang": "zh"})
    assert forged.status_code in (400, 422) and db.session.query(Report).count() == 1


def test_queued_report_is_not_downloadable_yet(client, db, year):
    from municipal.reports import services

    row = services.queue(year["users"]["admin"], parse_scope("district"), 2025, "zh")
    db.session.commit()
    _login(client, "admin")
    assert client.get(f"/annual-reports/{row.id}/download").status_code == 404
    assert client.get("/annual-reports/99999").status_code == 404


def test_the_cli_writes_the_pdf(app, db, year, tmp_path):
    out = tmp_path / "reservoirs-2025.pdf"
    result = app.test_cli_runner().invoke(args=["report", "annual", "--year", "2025", "--type", "reservoir",
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = _text(out.read_bytes())
    assert "登云水库" in text and "青山水库" in text and "全区汇总" in text
    bad = app.test_cli_runner().invoke(args=["report", "annual", "--year", "2025", "--type", "castle",
                                             "--out", str(out)])
    assert bad.exit_code == 2 and "castle" in bad.output


def test_the_pdfs_are_set_in_the_serif_cjk_print_face(rendered):
    for name in ("zh", "en", "district"):
        # Subset fonts are named ABCDEF+Family-Style.
        families = {font.lstrip("/").split("+")[-1] for font, _embedded in _fonts(rendered[name]["data"])}
        assert families, name
        assert all(re.match(r"Noto-?Serif-?CJK", family) for family in families), (name, families)


def test_a_report_is_not_laid_out_without_a_cjk_font(app, monkeypatch):
    monkeypatch.setattr(render, "installed_cjk_families", lambda: ("Noto Serif CJK JP",))
    with pytest.raises(render.MissingFont) as refused:
        render.require_cjk_font()
    assert "fonts-noto-cjk" in str(refused.value) and "fonts-wqy-microhei" in str(refused.value)
    monkeypatch.undo()
    render.require_cjk_font()


# Long enough to wrap several times in the work table's title column, with a closing mark every few characters.
LONG_TITLE = ("迎水坡护坡块石松动，坝顶路面出现纵向裂缝、局部沉陷；排水沟淤塞（约十五米）！"
              "溢洪道边墙渗水，需尽快处理？巡查员已设置警示标志、拉设警戒线。请维修班组携带砂石料前往，"
              "并于汛前完成「整改」与验收《记录》。")


def test_no_line_of_a_chinese_report_starts_with_closing_punctuation(db, year):
    from municipal.workorders.models import WorkOrder

    for order in db.session.query(WorkOrder):
        order.title = LONG_TITLE[:200]
    db.session.commit()
    data, _pages = render.render_pdf(queries.annual(SystemActor(), parse_scope(f"facility:{year['reservoir'].id}"),
                                                    2025, utcnow()), "zh")
    lines = [line.strip() for page in PdfReader(BytesIO(data)).pages for line in page.extract_text().splitlines()]
    wrapped = [line for line in lines if line and line in LONG_TITLE and line != LONG_TITLE]
    assert len(wrapped) >= 4  # the titles did wrap
    assert [line for line in lines if line[:1] and line[0] in "，。、；：！？）」』】》"] == []


def test_report_files_have_unguessable_names_and_only_the_report_routes_serve_them(app, client, db, year):
    from pathlib import Path

    from municipal.jobs import runner
    from municipal.jobs.registry import JOBS
    from municipal.reports import services

    row = services.queue(year["users"]["admin"], parse_scope("district"), 2025, "zh")
    db.session.commit()
    assert runner.run(JOBS["reports"], utcnow()).count == 1
    db.session.refresh(row)
    assert "district" not in row.path and "2025-" not in Path(row.path).name and len(Path(row.path).stem) >= 32
    _login(client, "admin")
    for suffix in ("pdf", "html", "json"):
        for name in (Path(row.path).with_suffix(f".{suffix}").as_posix(),
                     f"x/../{Path(row.path).with_suffix(f'.{suffix}').as_posix()}"):
            assert client.get(f"/media/{name}").status_code == 404
    download = client.get(f"/annual-reports/{row.id}/download")
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == row.sha256
    download.close()
    # A report stored under the old, guessable name keeps working through its own route.
    old = f"reports/2025/annual-2025-district-zh-v{row.version}-{row.id}.pdf"
    target = Path(app.config["MEDIA_DIR"]) / old
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((Path(app.config["MEDIA_DIR"]) / row.path).read_bytes())
    row.path = old
    db.session.commit()
    again = client.get(f"/annual-reports/{row.id}/download")
    assert again.status_code == 200 and hashlib.sha256(again.data).hexdigest() == row.sha256
    again.close()
    assert client.get(f"/media/{old}").status_code == 404
    # Citizen report photos share the old folder by month, and stay where the media route serves them.
    photo = Path(app.config["MEDIA_DIR"]) / "reports/2026-11/photo.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8")
    served = client.get("/media/reports/2026-11/photo.jpg")
    assert served.status_code == 200
    served.close()
