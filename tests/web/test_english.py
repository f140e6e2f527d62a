"""An English reader sees English: the registers' Chinese vocabulary (dam types, networks, scale classes,
appraisal results), statuses, kinds and the change log's words are translated, not shown as stored."""
import re

from municipal.audit.models import AuditEntry
from municipal.audit.reading import ACTION_LABELS, FIELD_LABELS
from municipal.calendar import history as calendar_history
from municipal.workorders.notes import add_comment
from municipal.workorders.services import act, create_work_order

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Chinese an English page shows on purpose: the way back to Chinese, and the district's unit of capacity.
MEANT = ("中文", "万m³")


def chinese_on(page: str) -> list[str]:
    """Chinese text on a page, leaving out form values (what is stored, and sent back as stored)."""
    page = re.sub(r'value="[^"]*"', "", page)
    for meant in MEANT:
        page = page.replace(meant, "")
    return sorted({page[max(0, m.start() - 40):m.end() + 10] for m in CJK.finditer(page)})


def _facilities(users, make_asset, db):
    reservoir = make_asset("reservoir", "North Peak Reservoir")  # an earth dam (土坝) of 350万 m³: 小(1)型
    manhole = make_asset("manhole", "East Street manhole")  # on the sewage (污水) network
    calendar_history.record_history(users["supervisor"], reservoir.id, kind="periodic_safety_appraisal",
                                     done_on="2025-05-01", result="二类", report_date="2025-06-01")
    db.session.commit()
    return reservoir, manhole


def _walk(users, order):
    """The work order through every move, and a comment."""
    crew, supervisor = users["crew"], users["supervisor"]
    moves = [(supervisor, "assign", {"assignee_user_id": crew.id}), (crew, "start", {}),
             (crew, "hold", {"reason": "Waiting for parts"}), (crew, "resume", {}), (crew, "complete", {}),
             (supervisor, "send_back", {"reason": "Photo missing"}), (crew, "complete", {}),
             (supervisor, "accept", {})]
    for actor, action, extra in moves:
        order = act(actor, order.id, action, version=order.version, **extra)
    add_comment(crew, order.id, "Done")
    return order


def test_english_pages_show_no_chinese_vocabulary(app, db, users, make_asset, login, client):
    reservoir, manhole = _facilities(users, make_asset, db)
    order = create_work_order(users["supervisor"], asset_id=manhole.id, kind="repair", title="Broken cover",
                              priority="high")
    db.session.commit()
    login("supervisor")
    pages = [f"/assets/{reservoir.id}", f"/assets/{manhole.id}", f"/assets/{reservoir.id}/edit",
             f"/assets/{manhole.id}/edit", f"/work/{order.id}", "/work", "/assets",
             f"/assets/{reservoir.id}/calendar", "/calendar?view=list"]

    for url in pages:
        english = client.get(f"{url}?lang=en")
        assert english.status_code == 200, url
        assert chinese_on(english.get_data(as_text=True)) == [], url

    chinese = client.get(f"/assets/{reservoir.id}?lang=zh").get_data(as_text=True)
    assert "土坝" in chinese and "小(1)型" in chinese
    assert "污水" in client.get(f"/assets/{manhole.id}?lang=zh").get_data(as_text=True)
    calendar = client.get(f"/assets/{reservoir.id}/calendar?lang=zh").get_data(as_text=True)
    assert "鉴定结论 二类（报告 2025-06-01）" in calendar and "appraisal result" not in calendar


def test_the_api_answers_in_english_with_english_enum_values(app, db, users, make_asset, login, client):
    from tests.web.api_helpers import sign_in_with_session

    _reservoir, manhole = _facilities(users, make_asset, db)
    order = create_work_order(users["supervisor"], asset_id=manhole.id, kind="repair", title="Broken cover")
    db.session.commit()
    sign_in_with_session(client, "supervisor")

    asset = client.get(f"/api/v1/assets/{manhole.id}?lang=en").get_json()
    work = client.get(f"/api/v1/work-orders/{order.id}?lang=en").get_json()

    enums = [asset["type"], asset["status"], work["status"], work["kind"], work["priority"], work["source"],
             *work["actions"], *(entry["action"] for entry in work["history"])]
    assert [value for value in enums if CJK.search(value)] == []


def test_the_change_log_names_every_move_and_field_of_a_work_order_and_a_facility(app, db, users, make_asset,
                                                                                     login, client):
    reservoir, manhole = _facilities(users, make_asset, db)
    order = create_work_order(users["supervisor"], asset_id=manhole.id, kind="repair", title="Broken cover")
    order = _walk(users, order)
    db.session.commit()

    entries = db.session.query(AuditEntry).filter(AuditEntry.entity_type.in_(("work_order", "asset"))).all()
    assert {e.action for e in entries} - set(ACTION_LABELS) == set()
    assert {field for e in entries for field in (e.changes or {})} - set(FIELD_LABELS) == set()

    login("supervisor")
    for url in (f"/work/{order.id}", f"/assets/{reservoir.id}"):
        assert chinese_on(client.get(f"{url}?lang=en").get_data(as_text=True)) == [], url
        chinese = client.get(f"{url}?lang=zh").get_data(as_text=True)
        # Every label and every recorded vocabulary value in Chinese: no English word left in the log.
        log = chinese[chinese.index('id="audit"'):]
        assert re.findall(r"<td>([a-z_]+)</td>", log) == [], url


def test_the_annual_report_names_results_and_classes_in_the_readers_language(app, db):
    from municipal.db import utcnow
    from municipal.inspections.models import Finding
    from municipal.reports import queries, render
    from municipal.reports.scope import Scope
    from tests import report_seed

    year = report_seed.seed(db, app.config["MEDIA_DIR"])
    reservoir = year["reservoir"]
    for finding in db.session.query(Finding).filter_by(asset_id=reservoir.id):
        finding.value = "fail"  # as a failed pass/fail check is stored
    calendar_history.record_history(year["users"]["admin"], reservoir.id, kind="periodic_safety_appraisal",
                                     done_on="2025-05-01", result="二类")
    db.session.commit()
    report = queries.annual(year["users"]["admin"], Scope("facility", asset=reservoir), 2025, utcnow())

    english, chinese = render.render_html(report, "en"), render.render_html(report, "zh")

    assert ">fail<" not in english and ">fail<" not in chinese
    # A failed check reads as the problem found, in the reader's language (the checklist's failure wording).
    assert "Cracks, settlement or ponding on the crest" in english and "Category 2" in english and "Earth dam" in english and "Small (1)" in english
    assert not any(word in english for word in ("二类", "土坝", "小(1)型"))
    assert "坝顶或防浪墙出现裂缝" in chinese and "二类" in chinese and "土坝" in chinese
