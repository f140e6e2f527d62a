"""The annual report as a document an office signs: the issuing bureau on the cover, findings in the crew's and
the checklist's words, the list of the year's inspection records over as many pages as it takes, an honest
word for the years before the platform went live, no empty-state text contradicting a table, a serif face,
and "open as a page" without the CSRF token in the address. Checked on the rendered PDFs' text and fonts."""
import re
import uuid
from datetime import date, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from municipal.calendar.models import CalendarItem
from municipal.db import utcnow
from municipal.extensions import db as _db
from municipal.inspections.models import Inspection
from municipal.reports import queries, render
from municipal.reports.scope import SystemActor, parse_scope
from municipal.workorders.services import create_work_order
from tests import report_seed
from tests.conftest import csrf_token, empty_tables

# Quiet patrols added to 登云水库's 2025, enough for the record list to run over several pages.
QUIET_PATROLS = 80


def _pages(data: bytes) -> list[str]:
    return [re.sub(r"[ \t]+", " ", page.extract_text()) for page in PdfReader(BytesIO(data)).pages]


def _add_quiet_patrols(seeded) -> None:
    reservoir, crew = seeded["reservoir"], seeded["users"]["crew"]
    for number in range(QUIET_PATROLS):
        day = date(2025, 7, 1) + timedelta(days=number)
        order = create_work_order(seeded["users"]["supervisor"], asset_id=reservoir.id, kind="inspection",
                                  title=f"巡查 {day}")
        order.created_at = report_seed.moment(day, 7)
        _db.session.flush()
        _db.session.add(Inspection(idempotency_key=str(uuid.uuid4()), work_order_id=order.id, asset_id=reservoir.id,
                                   inspector_id=crew.id, submitted_at=report_seed.moment(day, 9), answers={}))
    # Two patrols of 2026 not yet due on the suite's day (2026-11-26).
    for number, due in enumerate((date(2026, 12, 6), date(2026, 12, 13))):
        _db.session.add(CalendarItem(asset_id=reservoir.id, key=f"TEST/december/{number}", rule="RES-PATROL-ROUTINE",
                                     kind="routine_patrol", due_on=due, due_at=report_seed.moment(due),
                                     status="scheduled", why="test"))
    _db.session.commit()


@pytest.fixture(scope="module")
def pdfs(app):
    with app.app_context(), app.test_request_context():
        seeded = report_seed.seed(_db, app.config["MEDIA_DIR"])
        _add_quiet_patrols(seeded)
        facility = parse_scope(f"facility:{seeded['reservoir'].id}")
        made = {name: render.render_pdf(queries.annual(SystemActor(), scope, year, utcnow()), "zh")
                for name, scope, year in (("2025", facility, 2025), ("2024", facility, 2024),
                                          ("2026", facility, 2026), ("district-2024", parse_scope("district"), 2024))}
        empty_tables(_db)
    return {name: {"data": data, "pages": _pages(data)} for name, (data, _count) in made.items()}


def test_the_cover_names_the_issuing_bureau_and_the_day(pdfs):
    cover = pdfs["2025"]["pages"][0]
    assert "福州市晋安区城市管理局" in cover and "2026年11月26日" in cover
    assert "登云水库 2025 年度检查报告" in cover and "平台启用日期" in cover


def test_findings_read_as_the_problem_the_crew_found(pdfs):
    text = "".join("".join(pdfs["2025"]["pages"]).split())  # table cells wrap anywhere
    # The checklist's failure wording and the crew's own notes, never "fail" nor the item as it reads when passed.
    assert "坝顶或防浪墙出现裂缝、塌陷、积水" in text and "迎水坡护坡出现塌坑、凹陷、隆起或明显浪蚀" in text
    assert "现场记录：坝顶距左坝端约30米处有一条长约2米的纵向裂缝，已设警示桩" in text
    assert "现场记录：暴雨后迎水坡中部护坡块石松动滑落约3平方米" in text
    assert "fail" not in text and "坝顶及防浪墙完好" not in text and "护坡完好" not in text


def test_the_years_inspection_records_are_listed_over_several_pages(pdfs):
    pages = pdfs["2025"]["pages"]
    text = "".join(pages)
    assert f"本年度共登记巡查检查 {QUIET_PATROLS + 4} 次" in text
    listed = {day for day in re.findall(r"(2025-\d\d-\d\d) 09:00", text)}
    expected = {(date(2025, 7, 1) + timedelta(days=n)).isoformat() for n in range(QUIET_PATROLS)}
    assert expected | {"2025-01-05", "2025-01-12", "2025-03-02", "2025-06-10"} <= listed
    # The list runs over pages, its head (date, work, inspector, result) repeated on each.
    with_records = [page for page in pages if re.search(r"2025-0[7-9]-\d\d 09:00", page)]
    assert len(with_records) >= 2
    assert all(re.search(r"日期 工作 检查人 结果", page) for page in with_records)
    assert "日常巡查 王巡查 未发现问题" in text  # the calendar's kind of a patrol it asked for, and who did it


def test_a_year_before_the_platform_went_live_says_so_instead_of_zeros(pdfs):
    for name in ("2024", "district-2024"):
        text = "".join("".join(pdfs[name]["pages"]).split())
        assert "本平台于2025年1月5日启用。2024年的巡查、隐患和维修情况在此之前另有记录" in text, name
        assert "应完成" not in text and "2024年未发现隐患" not in text, name
    # The year it went live says from when the records run.
    assert "本平台于2025年1月5日启用。此前的巡查、隐患和维修情况未在本平台登记" in "".join(
        "".join(pdfs["2025"]["pages"]).split())


def test_the_live_day_may_be_set(app, db, year):
    app.config["PLATFORM_LIVE_ON"] = "2026-03-01"
    try:
        report = queries.annual(SystemActor(), parse_scope(f"facility:{year['reservoir'].id}"), 2025, utcnow())
    finally:
        app.config["PLATFORM_LIVE_ON"] = None
    assert report["platform"] == {"live_on": date(2026, 3, 1), "before": True, "within": False}


def test_no_empty_state_text_contradicts_the_table_above_it(pdfs):
    text = "".join(pdfs["2026"]["pages"])
    assert re.search(r"日常巡查 2 0 0 0 0 2 —", text)  # two patrols due, none yet past their day
    assert "没有到期事项" not in text and "以上事项均未到期，暂无完成率可作图。" in text


def test_the_report_is_set_in_the_serif_print_face(pdfs):
    for name, pdf in pdfs.items():
        families = {str(font.get_object()["/BaseFont"]).split("+")[-1]
                    for page in PdfReader(BytesIO(pdf["data"])).pages
                    for font in page["/Resources"]["/Font"].values()}
        assert families and all(family.startswith("Noto-Serif-CJK-SC") for family in families), (name, families)


def test_no_page_holds_only_a_line_or_two(pdfs):
    for name, pdf in pdfs.items():
        # A page's text less its running head and page number.
        bodies = [[line for line in page.splitlines()[1:] if not re.match(r"第 \d+ 页", line)] for page in pdf["pages"]]
        assert all(len(body) > 4 for body in bodies), (name, [len(body) for body in bodies])


@pytest.fixture
def year(app, db):
    return report_seed.seed(db, app.config["MEDIA_DIR"])


def test_open_as_a_page_keeps_the_token_out_of_the_address(client, year):
    response = client.post("/login", data={"username": "viewer", "password": report_seed.PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    form = client.get("/annual-reports").get_data(as_text=True)
    button = re.search(r'<button[^>]*>以网页打开</button>', form).group(0)
    assert 'formaction="/annual-reports/open"' in button and "formmethod" not in button
    scope = f"facility:{year['reservoir'].id}"
    opened = client.post("/annual-reports/open", data={"year": "2025", "scope": scope, "lang": "zh",
                                                       "csrf_token": csrf_token(client, "/annual-reports")})
    assert opened.status_code == 303
    location = opened.headers["Location"]
    assert "csrf_token" not in location and "year=2025" in location and "lang=zh" in location
    page = client.get(location)
    assert page.status_code == 200 and "福州市晋安区城市管理局" in page.get_data(as_text=True)
    refused = client.post("/annual-reports/open", data={"year": "2025", "scope": scope})
    assert refused.status_code in (400, 422)
