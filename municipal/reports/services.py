"""Queueing, rendering and archiving reports. Flushes, never commits: `process_queue` runs in the scheduler's
`reports` job, which hands it the job wrapper's unit of work (jobs/runner.unit_of_work) to commit each report's
progress as it is made, so the page that waits for it can show it.

A report is never rendered in a web worker: a request adds a queued row and returns; the scheduler's
`reports` job renders it. Every rendering is a new version with its own file, kept for good.
"""
import hashlib
import json
import logging
import secrets
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..assets.models import Asset
from ..audit.services import record
from ..db import utcnow
from ..errors import Conflict, NotFound, PermissionDenied
from ..extensions import db
from ..media import REPORTS_FOLDER
from . import measures, queries, render
from .models import Report
from .scope import Scope, SystemActor, check_visible, may_see, parse_scope

# A report "running" this long belongs to a scheduler that died: it is queued again.
STALE_AFTER = timedelta(hours=1)
# Reports one run of the job renders; the rest wait for the next minute.
PER_RUN = 20

log = logging.getLogger(__name__)


def report_title(scope: Scope, year: int) -> str:
    """The title stored with the row, in the district's first language, for the archive list."""
    if scope.kind == "facility":
        name = scope.asset.name
    elif scope.kind == "type":
        from ..assets.types import TYPES

        name = _("%(type)s (all)", type=_(TYPES[scope.asset_type].label))
    elif scope.kind == "area":
        name = scope.area.name
    else:
        name = _("Jin'an District")
    return _("Annual inspection report %(year)s: %(name)s", year=year, name=name)


def queue(actor, scope: Scope, year: int, lang: str) -> Report:
    """A new version of the report, queued for the scheduler."""
    check_visible(actor, scope)
    # Two people asking at once both read the same latest version; the unique key lets one have it,
    # and the other takes the next.
    for _attempt in range(3):
        latest = db.session.scalar(sa.select(sa.func.max(Report.version)).where(
            Report.kind == "annual", Report.year == year, Report.scope == scope.key, Report.lang == lang))
        row = Report(kind="annual", year=year, scope=scope.key, title=report_title(scope, year)[:300], lang=lang,
                     version=(latest or 0) + 1, status="queued", requested_by_id=actor.id,
                     generator_version=render.generator_version())
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue
        break
    else:
        raise Conflict(_("Someone else asked for this report at the same moment; please ask again."))
    if actor.id is not None:
        record(actor, "report", row.id, "create", {"scope": [None, scope.key], "year": [None, year]})
    return row


def read(actor, scope: Scope, year: int, cutoff: datetime) -> dict:
    """The report's data, read now."""
    with _unmapped():
        return queries.annual(actor, scope, year, cutoff)


def build(actor, scope: Scope, year: int, lang: str, cutoff: datetime) -> tuple[bytes, int]:
    """The PDF of a report and its page count, rendered now."""
    return render.render_pdf(read(actor, scope, year, cutoff), lang)


@contextmanager
def _unmapped():
    """On SQLite, read without the memory map while a report runs: a district report scans most of the file
    once, and through the map every page it read would stay in the process's resident memory (a
    million facilities put it past 1.8 GB), where read() leaves them to the system's page cache."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    mapped = connection.exec_driver_sql("PRAGMA mmap_size").scalar()
    connection.exec_driver_sql("PRAGMA mmap_size=0")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA mmap_size={int(mapped)}")


def _claim(report_id: int, now: datetime) -> bool:
    """Take a queued report; of two schedulers, the database lets one have it."""
    taken = db.session.execute(
        sa.update(Report).where(Report.id == report_id, Report.status == "queued")
        .values(status="running", started_at=now, error=None).execution_options(synchronize_session=False))
    return taken.rowcount == 1


def _requeue_stale(now: datetime) -> None:
    db.session.execute(
        sa.update(Report).where(Report.status == "running", Report.started_at < now - STALE_AFTER)
        .values(status="queued").execution_options(synchronize_session=False))


def process_queue(now: datetime | None = None, step: Callable[[], AbstractContextManager] = nullcontext) -> int:
    """Render queued reports, oldest first; returns how many were made.

    Each piece of the work (queueing stale ones again, claiming a report, rendering it, marking it failed)
    runs in a `step()` of its own: the job passes the job wrapper's unit of work, which commits the piece
    when it ends and rolls it back when it raises. Called without, everything stays in the caller's
    transaction. A report that cannot be made is rolled back to before its rendering and marked failed."""
    now = now or utcnow()
    with step():
        _requeue_stale(now)
    ids = list(db.session.scalars(sa.select(Report.id).where(Report.status == "queued")
                                  .order_by(Report.requested_at, Report.id).limit(PER_RUN)))
    made = 0
    for report_id in ids:
        with step():
            claimed = _claim(report_id, utcnow())
        if not claimed:
            continue
        try:
            with step(), db.session.begin_nested():
                _generate(db.session.get(Report, report_id))
            made += 1
        except Exception:
            log.exception("report %s failed", report_id)
            with step():
                row = db.session.get(Report, report_id)
                row.status, row.finished_at, row.error = "failed", utcnow(), traceback.format_exc()[-4000:]
                db.session.flush()
    return made


def _generate(row: Report) -> None:
    actor = row.requested_by or SystemActor()
    scope = parse_scope(row.scope)
    if not may_see(actor, scope):
        raise PermissionDenied(_("This report covers facilities outside your areas."))
    cutoff = utcnow()
    report = read(actor, scope, row.year, cutoff)
    data, pages = render.render_pdf(report, row.lang)
    # The same version as a page and as numbers, so that neither makes a web worker read a big scope.
    companions = {"html": render.render_html(report, row.lang).encode(),
                  "json": json.dumps(render.as_json(report), ensure_ascii=False).encode()}
    store(row, data, pages, cutoff, companions)


def store(row: Report, data: bytes, pages: int, cutoff: datetime, companions: dict | None = None) -> None:
    """Keep the file under MEDIA_DIR with its digest, and its companions (suffix → bytes) beside it; a file
    once written is never overwritten."""
    # A random name: the file is reached only through the report's routes, which check who may see it.
    relative = f"{REPORTS_FOLDER}/{row.year}/{secrets.token_urlsafe(24)}.pdf"
    target = Path(current_app.config["MEDIA_DIR"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix, content in (companions or {}).items():
        _write(target.with_suffix(f".{suffix}"), content)
    _write(target, data)
    row.path, row.size_bytes, row.pages = relative, len(data), pages
    row.sha256 = hashlib.sha256(data).hexdigest()
    row.cutoff_at, row.finished_at, row.status = cutoff, utcnow(), "done"
    row.generator_version = render.generator_version()
    db.session.flush()


def _write(target: Path, content: bytes) -> None:
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(content)
    partial.replace(target)


def file_of(row: Report, suffix: str = "pdf") -> Path:
    return (Path(current_app.config["MEDIA_DIR"]) / row.path).with_suffix(f".{suffix}")


def latest_done(scope: Scope, year: int, lang: str | None = None) -> Report | None:
    """The newest finished version of a report (in `lang`, or any language)."""
    query = sa.select(Report).where(Report.kind == "annual", Report.year == year, Report.scope == scope.key,
                                    Report.status == "done")
    if lang is not None:
        query = query.where(Report.lang == lang)
    return db.session.scalars(query.order_by(Report.finished_at.desc(), Report.id.desc()).limit(1)).first()


def stored_companion(row: Report | None, suffix: str) -> bytes | None:
    """A finished report's page or numbers, if it was made with them."""
    if row is None or row.path is None:
        return None
    path = file_of(row, suffix)
    return path.read_bytes() if path.is_file() else None


def no_report_yet() -> str:
    return _("No report for this scope and year has been made yet; a supervisor can ask for one.")


def is_live(scope: Scope) -> bool:
    """One facility's report is read at once, in the request; anything wider comes from the archive."""
    return scope.kind == "facility"


def visible_report(actor, report_id: int) -> Report:
    row = db.session.get(Report, report_id)
    if row is None:
        raise NotFound(_("No such report."))
    check_visible(actor, _scope_of(row))
    return row


def _scope_of(row: Report) -> Scope:
    """The report's scope; one whose facility or area is gone is for those who see the whole district."""
    try:
        return parse_scope(row.scope)
    except NotFound:
        return Scope("district")


def archive(actor, limit: int = 200) -> list[Report]:
    """The latest reports the person may see, newest first."""
    rows = db.session.scalars(sa.select(Report).order_by(Report.requested_at.desc(), Report.id.desc()).limit(limit))
    result = []
    for row in rows:
        if may_see(actor, _scope_of(row)):
            result.append(row)
    return result


def queue_previous_year(today) -> int:
    """The 1 January reports: last year's for every reservoir in service by then, and the district's.
    Queued once each; a later run (or a scheduler catching up) finds them there and adds nothing."""
    year = today.year - 1
    in_service = sa.or_(Asset.in_service_on.is_(None), Asset.in_service_on <= measures.year_bounds(year)[1])
    reservoirs = list(db.session.scalars(sa.select(Asset).where(Asset.type == "reservoir", in_service)
                                         .order_by(Asset.id)))
    scopes = [Scope("facility", asset=asset) for asset in reservoirs] + [Scope("district")]
    existing = set(db.session.scalars(sa.select(Report.scope).where(Report.kind == "annual", Report.year == year,
                                                                    Report.lang == "zh")))
    made = 0
    for scope in scopes:
        if scope.key not in existing:
            queue(SystemActor(), scope, year, "zh")
            made += 1
    return made
