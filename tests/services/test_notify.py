"""Notifications: creation without doubles, unread counts, who supervises an area, and email."""
import email
import socket
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale
from flask_babel import gettext

from municipal.assets.models import Area
from municipal.auth.services import create_user
from municipal.errors import NotFound, ValidationError
from municipal.notify import services
from municipal.notify.models import Notification

ASSIGNED = {"number": "WO-2026-0001", "title": "鼓山水库大坝巡查"}


def _child(db, parent, code, name):
    area = Area(code=code, name=name, name_en=code, level="village", parent=parent)
    db.session.add(area)
    db.session.flush()
    area.path = f"{parent.path}{area.id}/"
    db.session.flush()
    return area


def test_notify_creates_one_per_active_user_and_never_twice_for_the_same_key(db, users):
    users["viewer"].active = False
    recipients = [users["crew"], users["supervisor"], users["viewer"], users["crew"]]

    created = services.notify(recipients, "assigned", ASSIGNED, "/workorders/1", dedupe_key="assigned:wo:1")
    again = services.notify(recipients, "assigned", ASSIGNED, "/workorders/1", dedupe_key="assigned:wo:1")
    db.session.commit()

    assert (created, again) == (2, 0)
    assert services.unread_count(users["crew"]) == 1
    assert services.unread_count(users["supervisor"]) == 1
    assert services.unread_count(users["viewer"]) == 0
    # Without a key every event is new.
    assert services.notify([users["crew"]], "assigned", ASSIGNED, "/workorders/1") == 1
    assert services.notify([users["crew"]], "assigned", ASSIGNED, "/workorders/1") == 1
    assert services.unread_count(users["crew"]) == 3


def test_a_key_already_used_for_one_user_does_not_stop_another(db, users):
    services.notify([users["crew"]], "overdue", {**ASSIGNED, "due": "2026-12-01"}, "/workorders/1",
                    dedupe_key="overdue:wo:1")
    assert services.notify([users["crew"], users["supervisor"]], "overdue", {**ASSIGNED, "due": "2026-12-01"},
                           "/workorders/1", dedupe_key="overdue:wo:1") == 1


@pytest.mark.parametrize("kind, params, link, field", [
    ("party", ASSIGNED, "/workorders/1", "kind"),
    ("assigned", {"number": "WO-1"}, "/workorders/1", "params"),
    ("assigned", None, "/workorders/1", "params"),
    ("assigned", {"number": "WO-1", "title": ["a list"]}, "/workorders/1", "params"),
    ("assigned", ASSIGNED, "https://evil.example/phish", "link"),
    ("assigned", ASSIGNED, "//evil.example/phish", "link"),
])
def test_bad_input_names_the_field_and_writes_nothing(db, users, kind, params, link, field):
    with pytest.raises(ValidationError) as caught:
        services.notify([users["crew"]], kind, params, link)
    assert field in caught.value.fields
    assert db.session.query(Notification).count() == 0


def test_messages_read_in_the_readers_language(db, users):
    services.notify([users["crew"]], "citizen_report",
                    {"number": "R-17", "area": "鼓山镇", "title": "井盖缺失"}, "/intake/17")
    services.notify([users["crew"]], "sent_back", {"number": "WO-9", "reason": "照片不清楚"}, "/workorders/9")
    report, sent_back = services.recent(users["crew"], 10)[::-1]
    with force_locale("en"):
        assert services.message(report, gettext) == "New citizen report R-17 in 鼓山镇: 井盖缺失"
        assert services.message(sent_back, gettext) == "Work order WO-9 was sent back to you: 照片不清楚"


def test_mark_read_one_or_all_and_only_ones_own(db, users):
    for number in range(3):
        services.notify([users["crew"], users["supervisor"]], "assigned", {**ASSIGNED, "number": number},
                        f"/workorders/{number}")
    crew_first = services.recent(users["crew"], 10)[-1]
    supervisor_first = services.recent(users["supervisor"], 10)[-1]

    assert services.mark_read(users["crew"], [crew_first.id, supervisor_first.id]) == 1
    assert services.unread_count(users["crew"]) == 2
    assert services.unread_count(users["supervisor"]) == 3
    assert services.mark_read(users["crew"]) == 2
    assert services.mark_read(users["crew"]) == 0
    assert services.unread_count(users["crew"]) == 0
    assert services.unread_count(users["supervisor"]) == 3


def test_recent_pages_newest_first_by_keyset(db, users):
    for number in range(5):
        services.notify([users["crew"]], "assigned", {**ASSIGNED, "number": f"WO-{number}"}, "/workorders/1")
    first = services.recent(users["crew"], 2)
    second = services.recent(users["crew"], 2, before_id=first[-1].id)
    third = services.recent(users["crew"], 2, before_id=second[-1].id)
    numbers = [n.params["number"] for n in first + second + third]
    assert numbers == ["WO-4", "WO-3", "WO-2", "WO-1", "WO-0"]
    assert services.recent(users["supervisor"], 10) == []


def test_supervisors_for_area_take_in_parents_and_those_without_areas(db, users, area):
    district = area.parent
    village = _child(db, area, "gushan-village", "鼓山村")
    other_town = _child(db, district, "yixu", "宦溪镇")
    town_boss = create_user("town_boss", "correct horse battery", "supervisor")
    district_boss = create_user("district_boss", "correct horse battery", "supervisor")
    other_boss = create_user("other_boss", "correct horse battery", "supervisor")
    area_admin = create_user("area_admin", "correct horse battery", "admin")
    retired = create_user("retired", "correct horse battery", "supervisor")
    crew = create_user("crew_in_town", "correct horse battery", "crew")
    town_boss.areas = [area]
    district_boss.areas = [district]
    other_boss.areas = [other_town]
    area_admin.areas = [other_town]
    retired.areas = [area]
    retired.active = False
    crew.areas = [area]
    db.session.commit()

    names = lambda area_id: [u.username for u in services.supervisors_for_area(area_id)]  # noqa: E731

    # The fixture's "admin" and "supervisor" have no areas of their own: they look after the whole district.
    assert names(village.id) == ["admin", "district_boss", "supervisor", "town_boss"]
    assert names(area.id) == ["admin", "district_boss", "supervisor", "town_boss"]
    assert names(other_town.id) == ["admin", "area_admin", "district_boss", "other_boss", "supervisor"]
    assert names(district.id) == ["admin", "district_boss", "supervisor"]
    with pytest.raises(NotFound):
        services.supervisors_for_area(999_999)


class Sink:
    """A real SMTP server on a free local port that keeps what it receives and refuses one address."""

    REFUSED = "nobody@example.org"

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.REFUSED:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(app, monkeypatch):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", str(controller.port))
    monkeypatch.setitem(app.config, "SMTP_FROM", "notify@municipal.test")
    yield sink
    controller.stop()


def test_email_is_sent_in_the_users_language_and_chinese_arrives_intact(db, users, smtp_sink):
    users["crew"].email = "crew@example.org"
    users["crew"].display_name = "张三"
    users["supervisor"].email = "boss@example.org"
    users["supervisor"].locale = "en"
    services.notify([users["crew"], users["supervisor"], users["viewer"]], "assigned", ASSIGNED, "/workorders/1")
    db.session.commit()

    assert services.send_pending() == 2
    db.session.commit()

    by_address = {m["To"].addresses[0].addr_spec: m for m in smtp_sink.messages}
    assert set(by_address) == {"crew@example.org", "boss@example.org"}
    chinese = by_address["crew@example.org"]
    assert chinese["Subject"].startswith("[晋安区市政设施] ")
    assert "鼓山水库大坝巡查" in chinese["Subject"]
    assert chinese["To"].addresses[0].display_name == "张三"
    body = chinese.get_content()
    assert "鼓山水库大坝巡查" in body and "http://municipal.test/workorders/1" in body
    assert not chinese.is_multipart() and chinese.get_content_type() == "text/plain"
    english = by_address["boss@example.org"]
    assert english["Subject"] == "[Jin'an municipal facilities] Work order WO-2026-0001 was assigned to you: 鼓山水库大坝巡查"

    # Sent once: a second run finds nothing, and the rows say when they went out.
    assert services.send_pending() == 0
    assert len(smtp_sink.messages) == 2
    assert all(n.emailed_at for n in db.session.query(Notification).filter(Notification.user_id != users["viewer"].id))


def test_a_refused_address_is_logged_and_the_rest_still_go_out(db, users, smtp_sink, caplog):
    users["crew"].email = Sink.REFUSED
    users["supervisor"].email = "boss@example.org"
    services.notify([users["crew"]], "assigned", ASSIGNED, "/workorders/1")
    services.notify([users["supervisor"]], "assigned", ASSIGNED, "/workorders/1")
    db.session.commit()

    assert services.send_pending() == 1
    db.session.commit()

    assert [m["To"].addresses[0].addr_spec for m in smtp_sink.messages] == ["boss@example.org"]
    refused = services.recent(users["crew"], 1)[0]
    assert refused.emailed_at is not None and "550" in refused.email_error
    assert "refused" in caplog.text
    assert services.send_pending() == 0


def test_read_notifications_are_not_emailed(db, users, smtp_sink):
    users["crew"].email = "crew@example.org"
    services.notify([users["crew"]], "assigned", ASSIGNED, "/workorders/1")
    services.mark_read(users["crew"])
    assert services.send_pending() == 0
    assert smtp_sink.messages == []


def test_with_smtp_off_nothing_is_sent_and_nothing_fails(app, db, users):
    assert app.config["SMTP_HOST"] == ""
    users["crew"].email = "crew@example.org"
    services.notify([users["crew"]], "assigned", ASSIGNED, "/workorders/1")
    assert services.send_pending() == 0
    assert services.recent(users["crew"], 1)[0].emailed_at is None
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0 and "off" in result.output


def test_an_unreachable_server_leaves_everything_for_the_next_run(app, db, users, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", _free_port())
    users["crew"].email = "crew@example.org"
    services.notify([users["crew"]], "assigned", ASSIGNED, "/workorders/1")
    assert services.send_pending() == 0
    assert services.recent(users["crew"], 1)[0].emailed_at is None


def test_the_cli_sends_and_commits(app, db, users, smtp_sink):
    users["crew"].email = "crew@example.org"
    services.notify([users["crew"]], "assigned", ASSIGNED, "/workorders/1")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1" in result.output and len(smtp_sink.messages) == 1


def test_the_cli_names_a_wrong_setting(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_TLS", "maybe")
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 2 and "SMTP_TLS" in result.output
