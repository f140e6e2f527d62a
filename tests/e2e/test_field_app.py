"""The crew's phone app in a real browser: installed service worker, offline pages, drafts, the outbox, the
scanner. Each test makes its own phone (a fresh browser context: empty storage, no service worker)."""
import pytest
import sqlalchemy as sa

from tests.e2e.test_browser import PHONE, no_sideways_scroll, pytestmark, reservoir  # noqa: F401



@pytest.fixture
def phone_context(browser, live_server):
    """phone_context(**overrides): a phone with the service worker allowed (the suite's other contexts block it),
    failing the test on any Content-Security-Policy violation, as conftest's new_context does."""
    made, violations = [], []

    def make(**overrides):
        options = {**PHONE, "base_url": live_server, "timezone_id": "Asia/Shanghai", "service_workers": "allow",
                   **overrides}
        context = browser.new_context(**options)
        context.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert not violations, violations


@pytest.fixture
def crew_order(in_app, make_asset):
    """A dam with a patrol assigned to the crew member; returns (facility, order id, number)."""
    from municipal.auth.models import User
    from municipal.extensions import db
    from municipal.workorders import services
    from municipal.workorders.checklists import sync_templates

    dam = reservoir(make_asset, "北峰水库")

    def create():
        sync_templates()
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        order = services.create_work_order(users["supervisor"], asset_id=dam.id, kind="inspection",
                                           title="汛期日常巡查", priority="high", assignee_user_id=users["crew"].id)
        db.session.commit()
        return order.id, order.number

    order_id, number = in_app(create)
    return dam, order_id, number


def wait_for_worker(page):
    page.wait_for_function("() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)", timeout=15000)


def test_my_work_reloads_without_a_connection(phone_context, sign_in, crew_order):
    dam, order_id, number = crew_order
    context = phone_context()
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto("/work/mine")
    wait_for_worker(phone)
    phone.reload()  # now through the worker, which keeps the page
    assert number in phone.locator("main").inner_text()
    context.set_offline(True)
    phone.reload()
    assert number in phone.locator("main").inner_text()
    # A page that is not kept: the app's own offline page, not the browser's error.
    phone.goto("/calendar")
    assert "没有网络连接" in phone.locator("h1").inner_text()
    context.set_offline(False)
