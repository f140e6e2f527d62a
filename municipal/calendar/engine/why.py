"""The calendar's `why` lines in the reader's language. Pure: the caller passes its gettext.

The engine writes each `why` in English words around the facts ("last appraisal 2019-05-20 (二类) +
5 years"): that text is its contract (calendar-preview.md), stored with each item and answered by the API.
A page in another language reads it through the phrases below, each a msgid with the facts as
placeholders. The phrases are the engine's and the plans' whole vocabulary (tests/unit/test_why.py runs
the engine over its cases and finds no English word left in Chinese).
"""
import re

from .wording import EVENT_LABELS, KINDS, RESULT_LABELS


def N_(message: str) -> str:
    return message


DATE = r"\d{4}-\d{2}-\d{2}"
SPAN = rf"{DATE}(?:\.\.{DATE})?"
DAY_SPAN = r"\d{2}-\d{2}\.\.\d{2}-\d{2}"

# Names the engine writes as they are in the rules (anchors, history kinds, events), with spaces or underscores.
NAMES = {
    "completion_acceptance": N_("completion acceptance"),
    "impoundment_acceptance": N_("impoundment acceptance"),
    "first_impoundment_operation": N_("first impoundment operation"),
    "opening_date": N_("opening to traffic"),
    "storage resumed": N_("normal storage resumed"),
    "reinforcement 竣工验收": N_("completion acceptance of the reinforcement"),
    "check": N_("check"),
    "daily patrol": N_("daily patrol"),
    "cctv reinspection": N_("CCTV re-inspection"),
    **{kind: label for kind, label in KINDS.items()},
    **{kind: label for kind, label in EVENT_LABELS.items()},
}
NAME = "|".join(sorted((re.escape(n) for n in {*NAMES, *(n.replace("_", " ") for n in NAMES)}), key=len,
                       reverse=True))
SEASONS = {"pre-flood": N_("pre-flood"), "post-flood": N_("post-flood"),
           "termite": N_("termite"), "winter-overhaul": N_("winter overhaul")}
PERIODS = {"year": N_("%(n)s years"), "month": N_("%(n)s months"), "day": N_("%(n)s days"),
           "hour": N_("%(n)s hours"), "h": N_("%(n)s hours")}
PLAN_UNITS = {"day": N_("days"), "week": N_("weeks"), "month": N_("months"), "year": N_("years")}
PER_DAY = {"daily": N_("once a day"), "twice daily": N_("twice a day")}
CHIEFS = {"district": N_("district chief"), "county": N_("county chief"), "township": N_("township chief"),
          "village": N_("village chief"), "river_keeper": N_("river keeper")}

# (pattern, msgid): most specific first. Each match is replaced by its translated msgid, the named groups
# filled in (names, seasons and periods translated themselves), so a later, shorter phrase never
# matches inside an earlier one's output.
PHRASES = [
    (r"local policy: ", N_("local policy: ")),
    (rf"grade D since (?P<date>{DATE}): watched daily until vacated",
     N_("grade D since %(date)s: watched daily until vacated")),
    (rf", standing until (?P<date>{DATE})", N_(", standing until %(date)s")),
    (rf"supervisor's plan: every (?P<n>\d+) (?P<unit>day|week|month|year)s? from (?P<date>{DATE})",
     N_("supervisor's plan: every %(n)s %(unit)s from %(date)s")),
    (r", weekdays (?P<list>\d+(?:,\d+)*)", N_(", weekdays %(list)s")),
    (r", days (?P<list>\d+(?:,\d+)*)", N_(", days %(list)s of the month")),
    (r", flood season only", N_(", flood season only")),
    (r", outside the flood season", N_(", outside the flood season")),
    (rf"appraisal result (?P<result>\S+) \(report (?P<date>{DATE})\)", N_("appraisal result %(result)s (report %(date)s)")),
    (rf"category (?P<old>\S+) → (?P<new>\S+) \(report (?P<date>{DATE})\)",
     N_("category %(old)s → %(new)s (report %(date)s)")),
    (rf"first appraisal after reinforcement due (?P<date>{DATE})", N_("first appraisal after the reinforcement due %(date)s")),
    (rf"first appraisal due (?P<date>{DATE})", N_("first appraisal due %(date)s")),
    (rf"first (?P<name>{NAME}) due (?P<date>{DATE})", N_("first %(name)s due %(date)s")),
    (rf"last appraisal (?P<date>{DATE}) \((?P<result>[^)]+)\)", N_("last appraisal %(date)s (%(result)s)")),
    (rf"last daily patrol (?P<date>{DATE}) \((?P<inner>[^)]+)\)", N_("last daily patrol %(date)s (%(inner)s)")),
    (rf"last appraisal (?P<date>{DATE})", N_("last appraisal %(date)s")),
    (rf"last (?P<name>{NAME}) (?P<date>{DATE})", N_("last %(name)s %(date)s")),
    (rf"weekly patrol (?P<date>{DATE})", N_("weekly patrol %(date)s")),
    (rf"triggered inspection (?P<date>{DATE})", N_("triggered inspection %(date)s")),
    (rf"(?P<name>{NAME}) (?P<date>{DATE}) found class (?P<n>\d+)", N_("%(name)s %(date)s found class %(n)s")),
    (r"no check recorded: due now", N_("no check recorded: due now")),
    (r"no patrol recorded: due now", N_("no patrol recorded: due now")),
    (r"river-chief day, the (?P<n>\d+)th of every month \((?P<chief>[a-z_]+) chief\)",
     N_("river chief day, the %(n)sth of every month (%(chief)s)")),
    (r"(?P<chief>[a-z_]+) chief: ", N_("%(chief)s: ")),
    (rf"once in ISO week (?P<week>\d{{4}}-W\d{{2}}) \((?P<span>{SPAN})\), due on its Sunday",
     N_("once in ISO week %(week)s (%(span)s), due on its Sunday")),
    (r"once in (?P<month>\d{4}-\d{2}), due on its last day", N_("once in %(month)s, due on its last day")),
    (rf"once in the quarter (?P<span>{SPAN}), due on its last day",
     N_("once in the quarter %(span)s, due on its last day")),
    (r"every day", N_("every day")),
    (r", reading at (?P<time>\d{2}:\d{2})", N_(", reading at %(time)s")),
    (rf"(?P<season>pre-flood|post-flood|termite|winter-overhaul) window (?P<span>{SPAN}): due on its last day",
     N_("%(season)s window %(span)s: due on its last day")),
    (r"risky \(appraisal overdue\)", N_("risky (appraisal overdue)")),
    (r"risky \((?P<result>[^)]+)\)", N_("risky (%(result)s)")),
    (rf"in flood season (?P<span>{DAY_SPAN})", N_("in flood season %(span)s")),
    (rf"flood season (?P<span>{DAY_SPAN})", N_("flood season %(span)s")),
    (r"outside flood season", N_("outside flood season")),
    (rf"first impoundment (?P<span>{SPAN})", N_("first impoundment %(span)s")),
    (rf"high water (?P<span>{SPAN})", N_("high water %(span)s")),
    (r": (?P<per>daily|twice daily) \((?P<n>\d+) of (?P<of>\d+)\)", N_(": %(per)s (%(n)s of %(of)s)")),
    (r": (?P<per>daily|twice daily)", N_(": %(per)s")),
    (r": (?P<n>\d+) times a day", N_(": %(n)s times a day")),
    (r"rainstorm (?P<mm>[\d.]+) mm/24 h", N_("rainstorm %(mm)s mm in 24 hours")),
    (rf"(?P<name>{NAME}) (?P<span>{DATE}T[\d:+-]+|{SPAN})", N_("%(name)s %(span)s")),
    (r": event day", N_(": on the event's day")),
    (r": day (?P<n>\d+) after the event", N_(": day %(n)s after the event")),
    (r" \+ (?P<n>\d+) (?P<unit>year|month|day|hour|h)s?\b", N_(" + %(period)s")),
    (rf": the window for the one due (?P<date>{DATE}) opens", N_(": the window for the one due %(date)s opens")),
    (r": rehabilitate, then CCTV again at once", N_(": rehabilitate, then CCTV again at once")),
    (r": stop use and evacuate at once", N_(": stop use and evacuate at once")),
    (r": at once", N_(": at once")),
    (r": due on its last day", N_(": due on its last day")),
    (r" \(worst structural grade (?P<grade>\w+)\)", N_(" (worst structural grade %(grade)s)")),
    (r" \(grade (?P<grade>\w+)\)", N_(" (grade %(grade)s)")),
    (r" \(not done\)", N_(" (not done)")),
    (r" \(done\)", N_(" (done)")),
    (r" \(none recorded\)", N_(" (none recorded)")),
    (r" \(national anchor\)", N_(" (national anchor)")),
    (r" \(Fujian anchor\)", N_(" (Fujian anchor)")),
    (r", the earlier of this and ", N_(", the earlier of this and ")),
    # The separators last, between phrases already read.
    (r", ", N_(", ")),
    (r"; ", N_("; ")),
]
_COMPILED = [(re.compile(pattern), msgid) for pattern, msgid in PHRASES]

# The facts the engine quotes as the registers write them, in Chinese: for an English reader.
QUOTED = {
    "一类坝": N_("Category 1 dam"), "二类坝": N_("Category 2 dam"), "三类坝": N_("Category 3 dam"),
    "竣工验收": N_("completion acceptance"), **RESULT_LABELS,
}
_QUOTED = re.compile("|".join(sorted(QUOTED, key=len, reverse=True)))


def localize(why: str, gettext, english: bool) -> str:
    """`why` for a reader of the locale whose gettext is given; English readers get the engine's words."""
    if not why:
        return why
    if english:
        return _QUOTED.sub(lambda match: gettext(QUOTED[match.group()]), why)
    text = why
    for pattern, msgid in _COMPILED:
        text = pattern.sub(lambda match, msgid=msgid: _phrase(match, msgid, gettext), text)
    return text


def _phrase(match: re.Match, msgid: str, gettext) -> str:
    values = dict(match.groupdict())
    if values.get("inner") is not None:
        values["inner"] = localize(values["inner"], gettext, english=False)
    if values.get("name") is not None:
        name = values["name"]
        label = NAMES.get(name) or NAMES.get(name.replace(" ", "_"))
        values["name"] = gettext(label) if label else name
    if values.get("unit") is not None and "%(period)s" in msgid:
        values["period"] = gettext(PERIODS[values["unit"]]) % {"n": values["n"]}
    elif values.get("unit") is not None:
        values["unit"] = gettext(PLAN_UNITS[values["unit"]])
    if values.get("season") is not None:
        values["season"] = gettext(SEASONS[values["season"]])
    if values.get("per") is not None:
        values["per"] = gettext(PER_DAY[values["per"]])
    if values.get("chief") is not None:
        values["chief"] = gettext(CHIEFS[values["chief"]]) if values["chief"] in CHIEFS else values["chief"]
    return gettext(msgid) % values
