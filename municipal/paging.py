"""Keyset pages: the one way every list of the platform, page or API, goes on from one page to the next.

A list is ordered by a key: one or more columns whose last is unique (the id), e.g. (due_at, id). A page is
the first `size` rows whose key comes after a position (before it, for a list newest first), and the position
of the next page is the key of the page's last row. The database enters the index at the position, however
deep into the list it lies: no OFFSET, no count.

A position travels as a cursor. A one-column key (an id, an area's path) is given and taken as it is: the API
documents `after` as an integer there. A key of several columns is an opaque, URL-safe text (`encode`);
reading one back (`decode`, the `Cursor` field of API schemas) refuses anything it did not write with a
validation error naming the field, never a silent first page.
"""
import base64
import binascii
from datetime import date, datetime, timezone

import sqlalchemy as sa
from flask_babel import gettext as _
from marshmallow import ValidationError as FieldError
from marshmallow import fields

from .db import as_id
from .errors import ValidationError
from .extensions import db


def page(query: sa.Select, key: tuple, position, size: int, *, descending: bool = False,
         unique: bool = False) -> tuple[list, object]:
    """The rows of `query` (a select of one entity) after `position` in the order of `key`, at most `size` of
    them, and the position of the next page (None on the last). `position` and the next one are a value for a
    one-column key, a tuple otherwise; `descending` lists newest first and pages towards the older."""
    if position is not None:
        query = query.where(after(key, position, descending))
    order = [column.desc() for column in key] if descending else list(key)
    result = db.session.scalars(query.order_by(None).order_by(*order).limit(size + 1))
    rows = list(result.unique() if unique else result)
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, position_of(rows[-1], key)


def after(key: tuple, position, descending: bool = False):
    """The condition "comes after `position`" in the order of `key`: a row value for a key of several columns,
    so that the index is entered at the position rather than scanned up to it."""
    if len(key) == 1:
        (column,) = key
        value = position[0] if isinstance(position, tuple) else position
        return column < value if descending else column > value
    row = sa.tuple_(*key)
    return row < tuple(position) if descending else row > tuple(position)


def position_of(row, key: tuple):
    """The position of a row in the order of `key`: a value for a one-column key, else a tuple."""
    values = tuple(getattr(row, column.key) for column in key)
    return values[0] if len(values) == 1 else values


def id_position(text: str | None, field: str = "after") -> int | None:
    """A one-column id position from a page's query string: None when empty; a ValidationError naming `field`
    when it is not an id, never a silent first page."""
    if not text:
        return None
    number = as_id(text)
    if number is None:
        raise ValidationError(_("Some fields are not valid."), {field: _("not a position this list gave out")})
    return number


def encode(position: tuple | None) -> str | None:
    """A position of several values (dates, times, whole numbers, text) as an opaque, URL-safe text."""
    if position is None:
        return None
    text = "_".join(value.isoformat() if isinstance(value, (date, datetime)) else str(value) for value in position)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(text: str, kinds: tuple[type, ...], field: str = "after") -> tuple:
    """Reads back what `encode` wrote for a key of these kinds (datetime, date, int, str); anything else is a
    ValidationError naming `field`."""
    try:
        return read(text, kinds)
    except FieldError as error:
        raise ValidationError(_("Some fields are not valid."), {field: error.messages[0]}) from None


def read(text: str, kinds: tuple[type, ...]) -> tuple:
    """`decode` without the field: a marshmallow FieldError, for schemas."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        # Only the first value may hold the separator (text): the rest are numbers, dates and times.
        parts = raw.rsplit("_", len(kinds) - 1)
        if len(parts) != len(kinds):
            raise ValueError(raw)
        return tuple(_value(kind, part) for kind, part in zip(kinds, parts))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise FieldError(_("not a position this list gave out")) from None


def _value(kind: type, text: str):
    if kind is datetime:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if kind is date:
        return date.fromisoformat(text)
    if kind is int:
        # The whole numbers of keys are ids: beyond what the database holds is not a position either.
        number = as_id(text) if text.isascii() else None
        if number is None:
            raise ValueError(text)
        return number
    return kind(text)


class Cursor(fields.String):
    """An API query's `after`: a position `encode` wrote for a key of these kinds, read back as a tuple."""

    def __init__(self, kinds: tuple[type, ...], **kwargs):
        super().__init__(**kwargs)
        self.kinds = kinds

    def _deserialize(self, value, attr, data, **kwargs):
        return read(super()._deserialize(value, attr, data, **kwargs), self.kinds)
