"""The crew's phone app, continued: the outbox sent by the service worker's Background Sync with no page open,
proof of presence and each photo's time and position as the supervisor reads them, and 我来处理 on the page a
scanned label opens."""
import sqlalchemy as sa

from tests.e2e.test_browser import PHONE, no_sideways_scroll, pytestmark  # noqa: F401
from tests.e2e.test_field_app import crew_order, fill_record, inspections_of, phone_context, wait_for_worker  # noqa: F401

# The dam (make_asset's reservoir) is at 119.35 E, 26.15 N; 0.01° of latitude is 1,112 m.
AT_THE_DAM = {"latitude": 26.1503, "longitude": 119.3502, "accuracy": 9}
DOWN_THE_ROAD = {"latitude": 26.16, "longitude": 119.35, "accuracy": 15}


def test_background_sync_sends_the_outbox_with_no_page_of_the_app_open(phone_context, sign_in, crew_order, in_app,
                                                                       tmp_path):
    """Queued offline, the app closed, then the signal returns: Chromium fires the service worker's `sync` event
    by itself (its Background Sync follows the emulated connection). No page of the app is open then, so nothing
    but the service worker can have sent the record."""
    dam, order_id, number = crew_order
    context = phone_context()
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto(f"/work/{order_id}/record")
    wait_for_worker(phone)
    fill_record(phone, tmp_path, problem_photo=True)
    context.set_offline(True)
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_function("() => document.getElementById('outbox-count').textContent === '1'")
    # The page asked for a sync when it queued the record.
    assert phone.evaluate("async () => (await (await navigator.serviceWorker.ready).sync.getTags())") == [
        "municipal-outbox"]
    phone.goto("about:blank")  # the app is closed: no page's `online` handler or start can send anything
    phone.wait_for_timeout(500)
    assert inspections_of(in_app, order_id) == []
    context.set_offline(False)
    for _attempt in range(150):
        sent = inspections_of(in_app, order_id)
        if sent:
            break
        phone.wait_for_timeout(200)
    assert [photos for _id, photos in sent] == [2]
    # The phone's outbox is empty afterwards: the next start finds nothing to send.
    phone.goto("/work/mine")
    phone.wait_for_function("() => window.FieldOutbox && FieldOutbox.pending().then(r => r.length === 0)")
    assert phone.locator("#outbox-link").is_hidden()
    assert phone.evaluate("async () => (await (await navigator.serviceWorker.ready).sync.getTags())") == []
    assert len(inspections_of(in_app, order_id)) == 1
