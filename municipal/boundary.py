"""The unit of work of a request: one transaction, committed once when the view answered with a success and
rolled back otherwise; and the few ways a view steps outside it (a claim committed at once, a refusal kept,
a handled error undone)."""
import sqlalchemy as sa
from flask import g

from .extensions import db


def init_request_boundary(app) -> None:
    """One transaction per request. Services flush; the request commits once, at its end, when the view
    answered with a success (a status under 400, a redirect after a POST included), and rolls back after
    anything else. The commit runs before the response leaves, so a page or a file sent, or a redirect
    followed, always finds what the request wrote. A streamed body runs after the commit: it may read, never
    write. A commit the database refuses (a lost race on a version column, a unique key taken meanwhile) is
    answered by the same error handlers as the error raised in a view: a 409, not a 500."""
    @app.after_request
    def _commit_or_roll_back(response):
        if response.status_code >= 400 and not g.get("keep_changes"):
            db.session.rollback()
            return response
        if not db.session().in_transaction():
            # Nothing read or written through the session (a scanned card, a static answer): no transaction
            # to begin only to commit it.
            return response
        try:
            db.session.commit()
        except Exception as error:
            # Anything the final flush raises (a value a column type refuses, too) goes to the error
            # handlers, which roll back before they render.
            return app.make_response(app.handle_user_exception(error))
        return response


def commit_claim(write, find_first):
    """write() and commit at once, for a write that a twin request may race with the same natural key (an
    idempotency key): the answer must say which of them stored it before it leaves. When the twin committed
    first the database refuses this write (a unique key taken, or on SQLite a snapshot gone stale), and
    find_first() after a rollback is the answer instead (None when there is none to find)."""

    try:
        result = write()
        db.session.commit()
        return result
    except (sa.exc.IntegrityError, sa.exc.OperationalError):
        db.session.rollback()
        return find_first()


def keep_changes() -> None:
    """Commit this request's writes although it answers with an error: a refused sign-in is still
    counted, or the throttle that counts them could be tried for ever."""
    g.keep_changes = True


def discard_changes() -> None:
    """Undo what this request has written so far, for a view that handles a DomainError and still answers
    with a success (the error flashed, then a redirect), which the boundary would otherwise commit."""

    db.session.rollback()
