"""The board's filtered view as CSV for a spreadsheet: every selected work order, not one page of them.

Excel-safe the same way as the registry's export: a UTF-8 BOM so Excel reads the Chinese as such, and every
text cell through assets.transfer.columns.guard so that none runs as a formula.
"""
import csv
import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..assets.transfer.columns import guard
from . import lists, states

# Rows per piece handed to the response: the file streams, a large board never sits whole in memory.
PIECE = 500


def header() -> list[str]:
    return [_("Number"), _("Title"), _("Facility"), _("Kind"), _("Status"), _("Priority"), _("Assignee"),
            _("Team"), _("Due"), _("Overdue"), _("Source")]


def csv_pieces(actor, filters: lists.BoardFilters, labels: dict, now: datetime, tz: ZoneInfo) -> Iterator[str]:
    """The file in pieces of text, the BOM and header row first. The header and the query are made at once,
    while the request is still open; the rows follow as the answer is sent."""
    head = header()
    query = lists.board_query(actor, filters)
    return _pieces(query, head, labels, now, tz)


def _pieces(query, head: list[str], labels: dict, now: datetime, tz: ZoneInfo) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(head)
    for count, order in enumerate(lists.board_rows(query), start=1):
        person = order.assignee_user
        overdue = order.status in states.OPEN and order.due_at < now
        writer.writerow([guard(cell) for cell in (
            order.number, order.title, order.asset.name, labels["kinds"].get(order.kind, order.kind),
            labels["statuses"][order.status], labels["priorities"][order.priority],
            (person.display_name or person.username) if person else "",
            order.assignee_team.name if order.assignee_team else "",
            order.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), _("yes") if overdue else "",
            labels["sources"].get(order.source, order.source))])
        if count % PIECE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
