"""`municipal readings import FILE.csv`: readings of many facilities from a spreadsheet, all or nothing,
each problem named by its row. Flushes, never commits: the command commits once, after the last row."""
import csv
from collections import defaultdict

from flask_babel import gettext as _

from .. import clock
from ..assets import lookup
from ..assets.transfer.importing import ImportRejected, Problem
from ..errors import DomainError
from . import events, rules, services

# Each column by its English name and the names a Chinese spreadsheet gives it.
COLUMNS = {
    "code": ("code", "编码", "标识码", "设施编码"),
    "kind": ("kind", "类型", "种类"),
    "observed_at": ("observed_at", "时间", "观测时间"),
    "value": ("value", "数值", "读数", "值"),
    "period_minutes": ("period_minutes", "时段", "时段(分钟)", "时段（分钟）"),
}
KIND_NAMES = {"water_level": "water_level", "rainfall": "rainfall", "水位": "water_level", "库水位": "water_level",
              "雨量": "rainfall", "降雨量": "rainfall", "降水量": "rainfall"}
PROGRESS_EVERY = 10_000
MAX_PROBLEMS = 1000


def _header(names: list[str]) -> tuple[dict[str, int], list[Problem]]:
    found, problems = {}, []
    for index, name in enumerate(names):
        key = next((column for column, spellings in COLUMNS.items() if name.strip().lower() in spellings), None)
        if key is not None:
            found[key] = index
    missing = [name for name in ("code", "kind", "observed_at", "value") if name not in found]
    if missing:
        problems.append(Problem(1, None, _("Missing columns: %(names)s", names=", ".join(missing))))
    return found, problems


def import_csv(actor, stream, progress=lambda step, done, total: None) -> dict:
    """Store every row's reading, or none; ImportRejected lists the problems by row. Returns counts.
    `stream` is text, opened with encoding="utf-8-sig" and newline=""."""
    try:
        rows = csv.reader(stream)
        header = next(rows, None)
    except UnicodeDecodeError:
        raise ImportRejected([Problem(None, None, _("The file is not UTF-8 text."))]) from None
    if header is None:
        raise ImportRejected([Problem(None, None, _("The file is empty."))])
    columns, problems = _header(header)
    if problems:
        raise ImportRejected(problems)
    now, zone = clock.now(), clock.zone()
    assets, limits, refusals = {}, {}, {}  # by the code as written
    by_asset: dict[int, list] = defaultdict(list)  # asset id -> [(row number, Clean)]
    number = 1
    try:
        for number, row in enumerate(rows, start=2):
            if len(problems) >= MAX_PROBLEMS:
                break
            if not "".join(row).strip():
                continue
            cells = {name: (row[index] if index < len(row) else "") for name, index in columns.items()}
            code = cells["code"].strip()
            if code not in assets:
                try:
                    asset = lookup.find_asset(code, header[columns["code"]])
                    limits[code] = services.check_asset(asset, header[columns["code"]])
                    assets[code] = asset
                except DomainError as error:
                    assets[code] = None
                    refusals[code] = str((error.fields or {}).get(header[columns["code"]], error.message))
            if assets[code] is None:
                problems.append(Problem(number, header[columns["code"]], refusals[code]))
                continue
            try:
                clean = rules.check(KIND_NAMES.get(cells["kind"].strip(), cells["kind"].strip()), cells["value"],
                                    cells["observed_at"], cells.get("period_minutes") or None,
                                    limits[code], now, zone)
            except rules.Refused as refused:
                problems.append(Problem(number, header[columns[refused.field]] if refused.field in columns
                                        else refused.field, _(refused.msgid, **refused.params)))
                continue
            by_asset[assets[code].id].append((number, clean))
            if number % PROGRESS_EVERY == 0:
                progress("checked", number - 1, None)
    except (csv.Error, UnicodeDecodeError) as error:
        problems.append(Problem(number, None, str(error)))
    fresh = {}
    for asset_id, numbered in by_asset.items():
        positions, clashes = services.new_only(asset_id, [clean for _n, clean in numbered])
        problems += [Problem(numbered[i][0], header[columns["value"]],
                             _("another value is stored for this moment: %(value)s", value="%g" % value))
                     for i, value in clashes.items()]
        fresh[asset_id] = [numbered[i][1] for i in positions]
    if problems:
        raise ImportRejected(problems)
    stored = found = 0
    owners = {asset.id: asset for asset in assets.values() if asset is not None}
    for asset_id, readings in fresh.items():
        stored += services.store(asset_id, readings, "import")
        progress("written", stored, None)
        found += len(events.find(actor, owners[asset_id], readings)) if readings else 0
    return {"rows": number - 1, "stored": stored, "events": found}
