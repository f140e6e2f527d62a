"""The calendar's `why` lines in Chinese: every phrase the engine and the plans write is translated, so a
Chinese page shows no English word in them; an English page shows them as the engine wrote them."""
import json
import re
from pathlib import Path

import pytest
from babel.support import Translations

from municipal.calendar.engine import why
from municipal.calendar.engine.core import preview

CATALOGUES = Path(__file__).resolve().parents[2] / "municipal" / "translations"
# The cases that expect something to read (a case may expect nothing at all).
CASES = sorted(path for path in [*(Path(__file__).parent / "calendar_cases").glob("*.json"),
                                 *(Path(__file__).parent / "calendar_cases_v1").glob("*.json")]
               if json.loads(path.read_text(encoding="utf-8"))["expect"]["items"])
# Words that are the same in Chinese: the name of the sewer camera inspection.
KEPT = {"CCTV"}

# One of each shape of `why` the engine and the plans write (collected from the engine's tests).
EXAMPLES = [
    'appraisal result 三类 (report 2018-05-10)',
    'appraisal result 二类 (report 2014-05-10)',
    'category 二类 → 三类 (report 2024-05-31) + 3 months',
    'check 2022-01-01 + 1 days',
    'completion_acceptance 2020-02-29 + 5 years (national anchor)',
    'county chief: once in the quarter 2024-01-01..2024-03-31, due on its last day',
    'district chief: once in 2024-02, due on its last day',
    'every day, reading at 08:00',
    'felt_earthquake 2025-04-01: day 1 after the event',
    'felt_earthquake 2025-04-01: event day',
    'felt_earthquake 2026-11-26: day 1 after the event; rainstorm 88 mm/24 h 2026-11-27: event day',
    'first appraisal due 2021-02-28 (not done) + 6 years: the window for the one due 2031-02-28 opens',
    'first impoundment 2025-11-20..2025-12-10, outside flood season: daily',
    'first periodic inspection due 2016-06-30 (not done) + 1 year',
    'first periodic inspection due 2016-06-30 (not done) + 2 years',
    'first_filling_start 2025-11-20: day 1 after the event',
    'first_filling_start 2025-11-20: event day',
    'first_impoundment_operation 2016-02-29 + 5 years (Fujian anchor)',
    'first_impoundment_operation 2019-07-31 + 5 years (Fujian anchor), the earlier of this and completion_acceptance 2021-03-15 + 5 years',
    'flood season 04-01..10-15: daily',
    'high water 2025-06-10, in flood season 04-01..10-15: twice daily (1 of 2)',
    'high water 2025-06-10..2025-06-11, in flood season 04-01..10-15: twice daily (1 of 2)',
    'impoundment_acceptance 2020-02-29 + 5 years (national anchor)',
    'last appraisal 2010-01-15 + 10 years',
    'last appraisal 2010-01-15 + 6 years: the window for the one due 2020-01-15 opens',
    'last appraisal 2013-05-20 (一类) + 10 years',
    'last appraisal 2013-05-20 (一类) + 6 years: the window for the one due 2023-05-20 opens',
    'last appraisal 2014-05-10 (二类) + 6 years: the window for the one due 2024-05-10 opens',
    'last appraisal 2016-02-29 (二类) + 10 years',
    'last cctv reinspection 2023-05-10 (worst structural grade 4) + 1 year',
    'last cctv reinspection 2023-05-10 (worst structural grade 4) + 2 years',
    'last cctv reinspection 2023-05-10 (worst structural grade 5): rehabilitate, then CCTV again at once',
    'last check 2025-01-02 (done) + 1 days',
    'last daily patrol 2021-10-15 (flood season 04-01..10-15) + 7 days',
    'last daily patrol 2025-12-10 (first impoundment 2025-11-20..2025-12-10, outside flood season) + 7 days',
    'last regular periodic test 2024-05-31 + 1 year',
    'last regular periodic test 2024-05-31 + 2 years',
    'last routine patrol 2025-03-20 (done) + 7 days',
    'last safety recheck 2024-01-31 (grade C) + 1 month',
    'last safety recheck 2024-01-31 (grade C) + 2 months',
    'last safety recheck 2024-01-31 (grade D): stop use and evacuate at once',
    'last special patrol 2025-01-11 + 7 days',
    'last structural periodic test 2016-09-01 + 10 years',
    'last structural periodic test 2016-09-01 + 6 years: the window for the one due 2026-09-01 opens',
    'major_accident 2025-01-10 + 90 days',
    'major_accident 2025-01-10: day 1 after the event',
    'major_accident 2025-01-10: event day',
    'no check recorded: due now',
    'no patrol recorded: due now',
    'once in 2020-01, due on its last day',
    'once in ISO week 2021-W52 (2021-12-27..2022-01-02), due on its Sunday',
    'opening_date 2012-09-01 (none recorded) + 1 year',
    'opening_date 2012-09-01 (none recorded) + 10 years',
    'opening_date 2015-06-30 + 1 year',
    'patrol found missing cover 2025-05-30T10:00+08:00 + 0 h',
    'post-flood window 2021-10-16..2021-11-15: due on its last day',
    'pre-flood window 2021-03-01..2021-03-31: due on its last day',
    'rainstorm 118.5 mm/24 h 2026-11-26: day 1 after the event',
    'rainstorm 118.5 mm/24 h 2026-11-26: event day',
    'rainstorm 120 mm/24 h 2025-11-20..2025-11-22: day 1 after the event',
    'rainstorm 132 mm/24 h 2025-11-19..2025-11-20: event day',
    'rainstorm 50 mm/24 h 2025-11-19: day 1 after the event',
    'rainstorm 50 mm/24 h 2025-11-19: event day',
    'rainstorm 80 mm/24 h 2025-11-19..2025-11-20: day 1 after the event; rainstorm 80 mm/24 h 2025-11-19..2025-11-20: day 1 after the event',
    'rainstorm 80 mm/24 h 2025-11-19..2025-11-20: day 1 after the event; strong_earthquake 2025-11-20: day 1 after the event',
    'rainstorm 80 mm/24 h 2025-11-19..2025-11-20: event day; rainstorm 80 mm/24 h 2025-11-19..2025-11-20: event day',
    'rainstorm 80 mm/24 h 2025-11-19..2025-11-20: event day; strong_earthquake 2025-11-20: event day',
    'rainstorm 80 mm/24 h 2025-11-19..2025-11-21: day 1 after the event; rainstorm 120 mm/24 h 2025-11-20..2025-11-22: event day',
    'rainstorm 80 mm/24 h 2025-11-19: day 1 after the event; felt_earthquake 2025-11-20: event day',
    'reinforcement 竣工验收 2021-12-20 + 5 years (national anchor), the earlier of this and storage resumed 2022-04-01 + 5 years',
    'report received missing cover 2025-06-01T22:30+08:00 + 2 h',
    'risky (appraisal overdue), flood season 04-01..10-15: twice daily (1 of 2)',
    'risky (appraisal overdue), outside flood season: daily',
    'risky (三类坝), flood season 04-01..10-15: twice daily (1 of 2)',
    'risky (三类坝), outside flood season: daily',
    'river-chief day, the 14th of every month (district chief)',
    'river_keeper chief: every day',
    'routine check 2024-03-12 found class 3: at once',
    'strong_earthquake 2025-03-10 + 180 days',
    'strong_earthquake 2025-03-10: day 1 after the event',
    'strong_earthquake 2025-03-10: event day',
    'termite window 2021-04-01..2021-06-30: due on its last day',
    'township chief: once in 2024-01, due on its last day',
    'township chief: once in ISO week 2024-W05 (2024-01-29..2024-02-04), due on its Sunday',
    'triggered inspection 2024-03-12 + 1 year',
    'typhoon_response 2025-07-10..2025-07-12: day 1 after the event; rainstorm 210 mm/24 h 2025-07-11..2025-07-12: day 1 after the event',
    'typhoon_response 2025-07-10..2025-07-12: event day',
    'typhoon_response 2025-07-10..2025-07-12: event day; rainstorm 210 mm/24 h 2025-07-11..2025-07-12: event day',
    'village chief: once in ISO week 2020-W53 (2020-12-28..2021-01-03), due on its Sunday',
    'weekly patrol 2020-11-27 + 7 days',
    'winter-overhaul window 2024-11-16..2025-03-15: due on its last day',
    'pre-flood window 2025-03-15..2025-04-14: due on its last day, standing until 2025-12-31',
    'grade D since 2026-03-02: watched daily until vacated',
    'local policy: every day',
    'local policy: once in 2025-03, due on its last day',
    'local policy: flood season 04-01..10-15: daily',
    'local policy: last daily patrol 2025-10-15 (flood season 04-01..10-15) + 7 days',
    'local policy: no patrol recorded: due now',
    'high water 2025-12-03..2025-12-04, outside flood season: twice daily (2 of 2)',
    "supervisor's plan: every 2 weeks from 2026-01-05, weekdays 1,3, flood season only",
    "supervisor's plan: every 1 month from 2026-01-05, days 1,15, outside the flood season",
]


@pytest.fixture(scope="module")
def chinese():
    return Translations.load(str(CATALOGUES), ["zh"]).gettext


def english_words(text: str) -> list[str]:
    return [word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in KEPT]


@pytest.mark.parametrize("text", EXAMPLES)
def test_every_why_reads_in_chinese(chinese, text):
    translated = why.localize(text, chinese, english=False)

    assert english_words(translated) == [], translated
    # The facts survive: every date and number of the English line is in the Chinese one.
    assert sorted(re.findall(r"\d+", translated)) == sorted(re.findall(r"\d+", text))


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.stem)
def test_the_worked_cases_read_in_chinese(chinese, case):
    request = json.loads(case.read_text(encoding="utf-8"))["request"]

    items = preview(request)["items"]

    assert items
    for item in items:
        assert english_words(why.localize(item["why"], chinese, english=False)) == [], item["why"]


def test_english_readers_get_the_engine_words_and_its_chinese_facts_in_english():
    def english(message):
        return message

    assert why.localize("last appraisal 2013-05-20 + 10 years", english, english=True) == \
        "last appraisal 2013-05-20 + 10 years"
    assert why.localize("last appraisal 2013-05-20 (二类) + 10 years", english, english=True) == \
        "last appraisal 2013-05-20 (Category 2) + 10 years"
    assert why.localize("risky (三类坝), outside flood season: daily", english, english=True) == \
        "risky (Category 3 dam), outside flood season: daily"
