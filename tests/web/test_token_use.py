"""A token's use is noted at most once a minute, outside the request's own transaction."""
from datetime import timedelta

import sqlalchemy as sa

from municipal.auth.models import ApiToken
from municipal.auth.tokens import create_token


def test_two_reads_within_a_minute_write_the_last_use_once(app, client, db, users, clock):
    token, plain = create_token(users["supervisor"], "duty")
    db.session.commit()
    writes = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE API_TOKEN"):
            writes.append(statement)

    headers = {"Authorization": f"Bearer {plain}"}
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/api/v1/work-orders", headers=headers).status_code == 200
        first = clock.now()
        assert client.get("/api/v1/work-orders", headers=headers).status_code == 200
        assert len(writes) == 1
        clock.advance(timedelta(minutes=2))
        assert client.get("/api/v1/work-orders", headers=headers).status_code == 200
        assert len(writes) == 2
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at >= first + timedelta(minutes=2)


def test_a_busy_database_skips_the_note_and_the_read_still_answers(app, client, db, users):
    _token, plain = create_token(users["supervisor"], "duty")
    db.session.commit()
    # Another writer holds the lock on the token's row (SQLite: the whole database) for the whole read.
    other = db.engine.connect()
    transaction = other.begin()
    other.execute(sa.update(ApiToken).values(name="busy"))
    try:
        response = client.get("/api/v1/work-orders", headers={"Authorization": f"Bearer {plain}"})
    finally:
        transaction.rollback()
        other.close()
    assert response.status_code == 200
