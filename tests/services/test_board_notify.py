"""Who hears of work: the area's supervisors when it is submitted for review, the crew member when it is
assigned or sent back, and the team's group robot (企业微信/钉钉) after the change committed."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa

from municipal.auth import teams as team_services
from municipal.errors import ValidationError
from municipal.notify import webhooks
from municipal.notify.models import Notification, WebhookMessage
from municipal.notify.services import recent
from municipal.workorders import services as work


@pytest.fixture
def robot():
    """A group robot on this machine: it keeps what it was sent and answers as 企业微信 does."""
    received = []

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test", received
    server.shutdown()
    server.server_close()


def test_submitted_work_reaches_the_supervisor_and_a_send_back_the_crew(db, users, make_asset):
    crew, sup = users["crew"], users["supervisor"]
    order = work.create_work_order(sup, asset_id=make_asset().id, kind="repair", title="井盖松动",
                                   assignee_user_id=crew.id)
    work.act(crew, order.id, "start", version=order.version)
    work.act(crew, order.id, "complete", version=order.version)
    told = [(n.kind, n.params["number"], n.link) for n in recent(sup)]
    assert told == [("submitted", order.number, f"/work/{order.id}")]
    assert [n.kind for n in recent(users["admin"])] == ["submitted"]
    work.act(sup, order.id, "send_back", version=order.version, reason="缺少照片")
    work.act(crew, order.id, "complete", version=order.version)
    assert [n.kind for n in recent(crew)] == ["sent_back", "assigned"]
    assert [n.kind for n in recent(sup)] == ["submitted", "submitted"]


def test_the_teams_robot_gets_the_news_after_the_commit_by_the_job(app, db, users, make_asset, robot):
    url, received = robot
    team = team_services.create_team(users["admin"], "鼓山一队", webhook_url=url)
    team_services.set_members(users["admin"], team, [users["crew"].id])
    quiet = team_services.create_team(users["admin"], "新店一队")
    order = work.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="井盖松动",
                                   assignee_team_id=team.id)
    work.create_work_order(users["supervisor"], asset_id=make_asset(name="另一口井").id, kind="repair",
                           title="不推送", assignee_team_id=quiet.id)
    db.session.commit()
    # Nothing went out with the change itself: it is queued, for the job.
    assert received == [] and db.session.scalar(sa.select(sa.func.count()).select_from(WebhookMessage)) == 1

    result = app.test_cli_runner().invoke(args=["jobs", "run", "send-webhooks"])
    assert result.exit_code == 0, result.output
    assert len(received) == 1 and received[0]["msgtype"] == "text"
    content = received[0]["text"]["content"]
    assert order.number in content and "井盖松动" in content and f"/work/{order.id}" in content
    db.session.expire_all()
    assert db.session.scalar(sa.select(WebhookMessage.sent_at)) is not None
    assert webhooks.send_pending() == 0 and len(received) == 1


def test_an_unreachable_robot_fails_nothing_and_is_tried_again(app, db, users, make_asset):
    team = team_services.create_team(users["admin"], "鼓山一队", webhook_url="http://127.0.0.1:9/robot")
    work.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="井盖松动",
                           assignee_team_id=team.id)
    db.session.commit()
    assert webhooks.send_pending() == 0
    db.session.commit()
    message = db.session.scalar(sa.select(WebhookMessage))
    assert message.sent_at is None and message.attempts == 1 and message.error


def test_a_robot_address_must_be_http(db, users):
    with pytest.raises(ValidationError) as caught:
        team_services.create_team(users["admin"], "鼓山一队", webhook_url="file:///etc/passwd")
    assert "webhook_url" in caught.value.fields
    team = team_services.create_team(users["admin"], "鼓山二队", webhook_url="https://oapi.dingtalk.com/robot/send?x=1")
    team_services.update_team(users["admin"], team, webhook_url="")
    assert team.webhook_url is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
