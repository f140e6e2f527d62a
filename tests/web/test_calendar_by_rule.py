"""A facility's calendar page, one entry per rule: what is due next, how it stands, the rule's source and
confidence and its why, in Chinese and in English; standing obligations never pushed off by daily patrols."""
import html
import re

from municipal.calendar.engine.rules import load_table
from tests.unit.test_why import english_words

RULE_IDS = re.compile("|".join(re.escape(rule.id) for rule in load_table().rules))


def _section(page: str) -> str:
    """The visible text of the by-rule section (tags and their attributes dropped)."""
    part = re.search(r'<ul class="rule-groups">.*?</ul>\s*</section>', page, re.S).group(0)
    return html.unescape(re.sub(r"<[^>]+>", " ", part))


def test_a_risky_dam_s_year_by_rule_keeps_its_appraisal_and_tasks(client, login, make_asset, db):
    dam = make_asset("reservoir", "登云水库", attributes={"capacity_m3": 450_000, "dam_height_m": 12,
                                                                 "dam_type": "土坝"})
    login("supervisor")
    page = client.get(f"/assets/{dam.id}/calendar").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(f"/assets/{dam.id}/history", data={"csrf_token": token, "kind": "periodic_safety_appraisal",
                                                  "done_on": "2016-05-20", "result": "三类"})

    page = client.get(f"/assets/{dam.id}/calendar?lang=zh").get_data(as_text=True)
    text = _section(page)
    rules = re.findall(r'data-rule="([^"]+)"', page)
    # A 三类 dam: patrols daily, twice a day in the flood season (over 500 items), and still its overdue
    # appraisal and the tasks of its result on the page, first.
    assert rules[0] in ("RES-APPR-PERIODIC", "RES-CAT-23-ACTIONS", "RES-GOV-3PERSONS")
    assert {"RES-APPR-PERIODIC", "RES-CAT-23-ACTIONS", "RES-PATROL-ROUTINE", "RES-GOV-3PERSONS"} <= set(rules)
    assert "定期大坝安全鉴定" in text and "超期" in text and "下次到期" in text
    assert "《水库大坝安全鉴定办法》（水建管〔2003〕271号）第五条" in text and "已有公开来源证实" in text
    patrols = re.search(r'data-rule="RES-PATROL-ROUTINE".*?全部 (\d+) 个日期', page, re.S)
    assert int(patrols.group(1)) > 500
    assert "三个责任人信息不全" in page
    # In Chinese, no rule ids and no English words: the standards' codes aside.
    assert not RULE_IDS.search(text)
    assert [word for word in english_words(text) if word not in ("SL", "GB", "JTG", "CJJ", "JGJ", "DB")] == []

    english = _section(client.get(f"/assets/{dam.id}/calendar?lang=en").get_data(as_text=True))
    assert "Next due" in english and "Periodic dam safety appraisal" in english
    assert "Dam safety appraisal measures (水建管〔2003〕271号), art. 5" in english
    assert "risky (三类坝)" not in english and "risky (Category 3 dam)" in english


def test_every_rule_source_and_confidence_has_words(client):
    from municipal.calendar.engine.sources import SOURCES
    from municipal.calendar.engine.wording import CONFIDENCE_LABELS

    for rule in load_table().rules:
        assert set(rule.src) <= set(SOURCES), rule.id
        values = rule.confidence.values() if isinstance(rule.confidence, dict) else [rule.confidence]
        assert set(values) <= set(CONFIDENCE_LABELS), rule.id
