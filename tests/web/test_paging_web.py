"""Every list pages one way (municipal.paging): the pages follow their own links to the end, the page and the API
give out the same cursors, and a position no list gave out is a 422 naming its field, never a first page."""
import re
from datetime import timedelta

import pytest

from municipal.db import utcnow
from municipal.workorders import services
from tests.web.api_helpers import bearer, error_of  # noqa: F401


@pytest.fixture
def orders(db, users, make_asset):
    """Seven open work orders, two due on the same minute: the board's (due_at, id) key breaks the tie by id."""
    well = make_asset()
    now = utcnow().replace(second=0, microsecond=0)
    made = []
    for hours in (120, -20, 24, 72, -20, 48, 96):
        order = services.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title=f"{hours}h",
                                           due_at=now + timedelta(hours=hours))
        made.append((order.due_at, order.id))
    db.session.commit()
    return [order_id for _due, order_id in sorted(made)]


def walk_pages(client, url: str) -> tuple[list[int], int]:
    """The board's rows page by page through the "Next page" links, and how many pages there were."""
    seen, pages = [], 0
    while url:
        page = client.get(url).get_data(as_text=True)
        assert "Traceback" not in page
        pages += 1
        seen += [int(found) for found in re.findall(r'<a href="/work/(\d+)"', page)]
        following = re.search(r'href="(/work\?[^"]*after=[^"]*)"', page)
        url = following.group(1).replace("&amp;", "&") if following else None
    return seen, pages


def test_the_board_page_walks_every_order_once_in_due_order(app, client, login, orders, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_PAGE_SIZE", 3)
    login("supervisor")
    seen, pages = walk_pages(client, "/work")
    assert list(dict.fromkeys(seen)) == orders and pages == 3


def test_the_api_and_the_page_give_out_the_same_cursor(app, client, login, bearer, orders, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_PAGE_SIZE", 3)
    first = client.get("/api/v1/work-orders?limit=3", headers=bearer("supervisor")).get_json()
    login("supervisor")
    page = client.get("/work").get_data(as_text=True)
    assert f"after={first['next']}" in page
    seen, _pages = walk_pages(client, f"/work?after={first['next']}")
    assert list(dict.fromkeys(seen)) == orders[3:]


@pytest.mark.parametrize(("url", "field"), [
    ("/work?after=yesterday", "after"), ("/work?after=MjAyNi0xMS0yNl8w", "after"),
    ("/calendar?view=list&after=x", "after"), ("/assets?after=x", "after"), ("/assets?after=0", "after"),
    ("/reports/triage?after=x", "after"), ("/notifications?before=x", "before"),
    ("/api/v1/work-orders?after=x", "after"), ("/api/v1/calendar/items?after=x", "after"),
    ("/api/v1/assets?after=x", "after"), ("/api/v1/notifications?before=x", "before"),
])
def test_a_position_no_list_gave_out_is_refused_naming_its_field(client, login, url, field):
    login("supervisor")
    response = client.get(url, headers={"Accept": "application/json", "Accept-Language": "en"})
    assert field in error_of(response, 422)["fields"]
    page = client.get(url, headers={"Accept-Language": "en"})
    assert page.status_code == 422
    if not url.startswith("/api/"):
        assert "not a position this list gave out" in page.get_data(as_text=True)
