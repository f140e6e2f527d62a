"""municipal.paging: keyset pages on a real table, and cursors that refuse what they did not write."""
import base64
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from marshmallow import Schema
from marshmallow import ValidationError as FieldError

from municipal import paging
from municipal.assets.models import Area
from municipal.db import MAX_ID
from municipal.errors import ValidationError

NAMES = ["b", "a", "c", "a", "b", "b", "c"]


@pytest.fixture
def areas(db):
    """Seven areas whose names repeat: a key (name, id) with ties broken by the id."""
    for number, name in enumerate(NAMES):
        db.session.add(Area(code=f"p{number}", name=name, level="town", path=f"/{number}/"))
    db.session.commit()
    return list(db.session.scalars(sa.select(Area)))


def walk(key, size, descending=False):
    """Every page from the first, as lists of ids, following the positions the pages give."""
    pages, position = [], None
    while True:
        rows, position = paging.page(sa.select(Area), key, position, size, descending=descending)
        pages.append([area.id for area in rows])
        if position is None:
            return pages


@pytest.mark.parametrize("size", [1, 2, 3, 7, 50])
def test_the_pages_of_a_two_column_key_give_every_row_once_in_order(areas, size):
    expected = [area.id for area in sorted(areas, key=lambda area: (area.name, area.id))]
    pages = walk((Area.name, Area.id), size)
    assert [area_id for page in pages for area_id in page] == expected
    assert all(len(page) == size for page in pages[:-1]) and 0 < len(pages[-1]) <= size


@pytest.mark.parametrize("size", [1, 3, 7])
def test_newest_first_pages_towards_the_older(areas, size):
    expected = [area.id for area in sorted(areas, key=lambda area: (area.name, area.id), reverse=True)]
    assert [area_id for page in walk((Area.name, Area.id), size, descending=True) for area_id in page] == expected
    ids = sorted(area.id for area in areas)
    assert [area_id for page in walk((Area.id,), size, descending=True) for area_id in page] == ids[::-1]


def test_a_one_column_key_gives_and_takes_a_plain_value(areas):
    ids = sorted(area.id for area in areas)
    rows, position = paging.page(sa.select(Area), (Area.id,), None, 3)
    assert [area.id for area in rows] == ids[:3] and position == ids[2]
    rows, position = paging.page(sa.select(Area), (Area.id,), position, 3)
    assert [area.id for area in rows] == ids[3:6] and position == ids[5]
    rows, position = paging.page(sa.select(Area), (Area.path,), "/3/", 10)
    assert [area.path for area in rows] == ["/4/", "/5/", "/6/"] and position is None


def test_the_query_keeps_its_own_conditions_and_loses_its_own_order(areas):
    query = sa.select(Area).where(Area.name == "b").order_by(Area.code.desc())
    rows, position = paging.page(query, (Area.id,), None, 2)
    b_ids = sorted(area.id for area in areas if area.name == "b")
    assert [area.id for area in rows] == b_ids[:2] and position == b_ids[1]
    assert [area.id for area in paging.page(query, (Area.id,), position, 2)[0]] == b_ids[2:]


def test_an_exact_number_of_pages_ends_without_an_empty_one(areas):
    assert [len(page) for page in walk((Area.id,), 7)] == [7]


POSITIONS = [
    ((datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc), 7), (datetime, int)),
    ((date(2026, 2, 28), 12), (date, int)),
    (("/1/20_north/", 3), (str, int)),
    ((5, 9), (int, int)),
]


@pytest.mark.parametrize(("position", "kinds"), POSITIONS)
def test_a_cursor_reads_back_as_the_position_it_was_made_of(app, position, kinds):
    text = paging.encode(position)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert paging.decode(text, kinds) == position
    assert paging.encode(None) is None


def test_cursors_given_out_before_the_one_helper_still_read(app):
    # The board's and the calendar's: base64 of "<iso>_<id>", unpadded.
    board = base64.urlsafe_b64encode(b"2026-11-26T02:00:00+00:00_41").decode().rstrip("=")
    assert paging.decode(board, (datetime, int)) == (datetime(2026, 11, 26, 2, tzinfo=timezone.utc), 41)
    calendar = base64.urlsafe_b64encode(b"2026-12-01_9").decode().rstrip("=")
    assert paging.decode(calendar, (date, int)) == (date(2026, 12, 1), 9)
    # A time without an offset is UTC, as the board has always read it.
    naive = base64.urlsafe_b64encode(b"2026-11-26T02:00:00_41").decode()
    assert paging.decode(naive, (datetime, int))[0].utcoffset() == timedelta(0)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("text", [
    "", "garbage!", "%%%", b64("2026-11-26_x"), b64("yesterday_5"), b64("2026-11-26"), b64("2026-11-26_5_6"),
    b64("2026-11-26_0"), b64(f"2026-11-26_{MAX_ID + 1}"), b64("2026-11-26_-3"), b64("2026-11-26_٣"),
    "2026-11-26_5", base64.urlsafe_b64encode(b"\xff\xfe_1").decode(),
])
def test_anything_else_is_a_validation_error_naming_the_field(app, text):
    with app.test_request_context():
        with pytest.raises(ValidationError) as refused:
            paging.decode(text, (date, int), field="after")
        assert refused.value.status == 422 and set(refused.value.fields) == {"after"}
        with pytest.raises(ValidationError) as named:
            paging.decode(text, (date, int), field="before")
        assert set(named.value.fields) == {"before"}


def test_the_schema_field_refuses_it_as_a_field_error(app):
    class Query(Schema):
        after = paging.Cursor((datetime, int))

    with app.test_request_context():
        moment = datetime(2026, 11, 26, 2, tzinfo=timezone.utc)
        assert Query().load({"after": paging.encode((moment, 3))}) == {"after": (moment, 3)}
        with pytest.raises(FieldError) as refused:
            Query().load({"after": "nonsense"})
        assert list(refused.value.messages) == ["after"]
