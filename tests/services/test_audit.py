"""The audit trail: what services write to it, and that any edit of it afterwards is found."""
import re
import threading
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from municipal.assets import services as assets
from municipal.assets.identity import services as code_services
from municipal.audit import reading, verification
from municipal.audit import services as audit
from municipal.audit.models import GENESIS, AuditEntry, AuditHead
from municipal.i18n import N_


@pytest.fixture
def users(users, db):
    """The accounts, with the trail their creation wrote cleared: these tests count their own entries."""
    db.session.execute(sa.delete(AuditEntry))
    db.session.commit()
    return users


def trail(db):
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def three_entries(db, users):
    actor = users["supervisor"]
    for n in range(3):
        audit.record(actor, "asset", 7, "update", {"name": [f"井{n}", f"井{n + 1}"]})
    db.session.commit()
    return [e.id for e in trail(db)]


def test_entries_chain_and_survive_a_round_trip_through_the_database(db, users):
    supervisor = users["supervisor"]
    first = audit.record(supervisor, "asset", 7, "update", {
        "in_service_on": [date(2020, 5, 1), date(2021, 6, 30)],
        "capacity_m3": [Decimal("3500000.50"), Decimal("4200000")],
        "checked_at": [None, datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)],
        "attributes": [{"dam_type": "土坝"}, {"dam_type": "重力坝", "tags": {"b", "a"}}],
    })
    second = audit.record(None, "code", "RSV-7K3Q9-G", "revoke")
    db.session.commit()
    db.session.expire_all()

    assert verification.verify() == []
    entries = trail(db)
    assert [e.prev_hash for e in entries] == [GENESIS, first.hash]
    assert entries[0].changes["in_service_on"] == ["2020-05-01", "2021-06-30"]
    assert entries[0].changes["capacity_m3"] == ["3500000.50", "4200000"]
    assert entries[0].changes["attributes"][1]["tags"] == ["a", "b"]
    assert (entries[0].actor_id, entries[0].actor_name) == (supervisor.id, "supervisor")
    assert (entries[1].actor_id, entries[1].actor_name, entries[1].changes) == (None, "", {})
    assert [e.id for e in reading.entries_for("asset", 7)] == [first.id]
    assert reading.entries_for("code", "RSV-7K3Q9-G")[0].hash == second.hash


def test_diff_names_only_what_changed():
    before = {"name": "登云水库", "status": "in_service", "capacity": Decimal("1.0"), "gone": 1}
    after = {"name": "登云水库", "status": "under_repair", "capacity": Decimal("1.0"), "new": date(2026, 1, 1)}
    assert audit.diff(before, after) == {
        "gone": [1, None], "new": [None, "2026-01-01"], "status": ["in_service", "under_repair"]}


def test_an_entry_edited_in_the_database_is_found(db, users):
    ids = three_entries(db, users)
    db.session.execute(sa.text("UPDATE audit_entry SET changes = :c WHERE id = :id"),
                       {"c": '{"name": ["井1", "别的井"]}', "id": ids[1]})
    db.session.commit()
    problems = verification.verify()
    assert [(p.entry_id, p.kind) for p in problems] == [(ids[1], "edited")]


def test_an_edited_actor_or_time_is_found_too(db, users):
    ids = three_entries(db, users)
    db.session.execute(sa.text("UPDATE audit_entry SET actor_name = 'admin' WHERE id = :id"), {"id": ids[0]})
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == ids[2]).values(
        at=datetime(2020, 1, 1, tzinfo=timezone.utc)))
    db.session.commit()
    assert [(p.entry_id, p.kind) for p in verification.verify()] == [(ids[0], "edited"), (ids[2], "edited")]


def test_a_deleted_entry_is_found(db, users):
    ids = three_entries(db, users)
    db.session.execute(sa.text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    problems = verification.verify()
    assert [(p.entry_id, p.kind) for p in problems] == [(ids[2], "broken_link")]
    assert f"entry {ids[0]}" in problems[0].message


def test_deleting_the_first_entry_is_found(db, users):
    ids = three_entries(db, users)
    db.session.execute(sa.text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[0]})
    db.session.commit()
    assert [(p.entry_id, p.kind) for p in verification.verify()] == [(ids[1], "broken_link")]


def test_deleting_the_newest_entries_is_found_naming_what_is_missing(app, db, users):
    ids = three_entries(db, users)
    assert verification.verify() == []
    db.session.execute(sa.text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[2]})
    db.session.commit()
    problems = verification.verify()
    assert [(p.entry_id, p.kind) for p in problems] == [(ids[2], "truncated")]
    assert f"after entry {ids[1]} up to entry {ids[2]}" in problems[0].message
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"#{ids[2]} truncated" in result.output

    db.session.execute(sa.text("DELETE FROM audit_entry"))
    db.session.commit()
    assert [(p.entry_id, p.kind) for p in verification.verify()] == [(ids[2], "truncated")]


def test_the_recorded_end_follows_every_append_and_its_removal_is_found(db, users):
    ids = three_entries(db, users)
    head = db.session.get(AuditHead, 1)
    assert (head.last_id, head.last_hash) == (ids[2], db.session.get(AuditEntry, ids[2]).hash)
    audit.record_many(users["admin"], "asset", "update", [(1, {"n": [0, 1]}), (2, {"n": [0, 1]})])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(AuditHead, 1).last_id == max(e.id for e in trail(db))
    assert verification.verify() == []
    db.session.execute(sa.text("DELETE FROM audit_head"))
    db.session.commit()
    assert [p.kind for p in verification.verify()] == ["end_mismatch"]


def test_an_entry_appended_behind_the_platforms_back_is_found(db, users):
    ids = three_entries(db, users)
    last = db.session.get(AuditEntry, ids[2])
    forged = {"at": last.at, "actor_id": None, "actor_name": "", "entity_type": "asset", "entity_id": "1",
              "action": "update", "changes": {}, "prev_hash": last.hash}
    forged["hash"] = audit.compute_hash(last.hash, audit.content_of(SimpleNamespace(**forged)))
    with db.engine.begin() as connection:
        connection.execute(sa.insert(AuditEntry.__table__).values(forged))
    problems = verification.verify()
    assert [(p.entry_id, p.kind) for p in problems] == [(ids[2] + 1, "end_mismatch")]


def test_reordered_entries_are_found(db, users):
    ids = three_entries(db, users)
    for old, new in ((ids[1], 1000), (ids[2], ids[1]), (1000, ids[2])):
        db.session.execute(sa.text("UPDATE audit_entry SET id = :new WHERE id = :old"), {"old": old, "new": new})
    db.session.commit()
    # The last place now holds another entry than the trail ended with, too.
    assert {p.kind for p in verification.verify()} == {"broken_link", "end_mismatch"}


def test_check_chain_is_a_pure_function_over_entries():
    def entry(id, prev, **content):
        fields = dict(at=datetime(2026, 1, 1, tzinfo=timezone.utc), actor_id=None, actor_name="",
                      entity_type="asset", entity_id="1", action="create", changes={}, **content)
        probe = SimpleNamespace(**fields)
        return SimpleNamespace(id=id, prev_hash=prev, hash=audit.compute_hash(prev, audit.content_of(probe)), **fields)

    a = entry(1, GENESIS)
    b = entry(2, a.hash)
    c = entry(3, b.hash)
    assert list(verification.check_chain([a, b, c])) == []
    assert [p.entry_id for p in verification.check_chain([a, c])] == [3]
    assert [p.entry_id for p in verification.check_chain([b, c])] == [2]


def test_concurrent_writers_keep_one_chain(app, db, users):
    """Two sessions on two connections appending at the same time: each waits for the other,
    so neither forks the chain and no entry is lost."""
    per_thread, errors = 15, []
    actor_ids = [users["supervisor"].id, users["admin"].id]
    start = threading.Barrier(2)

    def writer(actor_id):
        try:
            with app.app_context():
                from municipal.auth.models import User
                from municipal.extensions import db as session_db

                actor = session_db.session.get(User, actor_id)
                start.wait()
                for n in range(per_thread):
                    audit.record(actor, "asset", actor_id, "update", {"n": [n, n + 1]})
                    session_db.session.commit()
        except Exception as error:  # the test thread reports it below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(a,)) for a in actor_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(trail(db)) == 2 * per_thread
    assert verification.verify() == []


@contextmanager
def connection_in_schema(db, schema: str, create: bool = False):
    """A transaction on a connection of its own whose schema is `schema` (made for the test, and dropped
    after it, when `create`). PostgreSQL only."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append lock is PostgreSQL's")
    engine = sa.create_engine(db.engine.url.set(query={"options": f"-csearch_path={schema}"}))
    try:
        if create:
            with engine.begin() as connection:
                connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        with engine.begin() as connection:
            yield connection
    finally:
        if create:
            with engine.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema}"))
        engine.dispose()


def test_a_trail_in_another_schema_never_waits_for_this_one(db, users):
    """PostgreSQL's advisory locks are the whole database's: this trail takes an entry while a trail in another
    schema of the same database (another installation's, each test worker's) holds its lock."""
    with connection_in_schema(db, f"audit_elsewhere_{uuid.uuid4().hex[:12]}", create=True) as elsewhere:
        elsewhere.execute(audit.head_lock())
        db.session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        audit.record(users["supervisor"], "asset", 7, "update", {"n": [1, 2]})
        db.session.commit()
    assert [entry.action for entry in trail(db)] == ["update"]


# The key every version before the schema-keyed lock took: pg_advisory_xact_lock(0x6D756E6963697061).
EARLIER_VERSIONS_KEY = 0x6D756E6963697061


def test_the_default_schemas_trail_takes_the_lock_earlier_versions_took(db):
    """During an upgrade, processes of the old and the new version append to one trail at once: in the
    default schema they take the same lock, so the chain cannot fork. Compared with the earlier versions' key
    itself, not the constant: a new constant would fork the chain as surely as a new way of computing it."""
    with connection_in_schema(db, audit.DEFAULT_SCHEMA) as public:
        public.execute(audit.head_lock())
        held = public.execute(sa.text(
            "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks "
            "WHERE locktype = 'advisory' AND objsubid = 1 AND pid = pg_backend_pid()")).scalar_one()
    assert held == EARLIER_VERSIONS_KEY


def test_registering_and_changing_a_facility_is_recorded_old_to_new(db, make_asset, users):
    asset = make_asset("reservoir", "登云水库", owner_unit="晋安区水利局",
                       persons=[{"role": "patrol", "name": "林巡查", "phone": "13805910001"}])
    created = reading.entries_for("asset", asset.id)
    assert [e.action for e in created] == ["bind", "create"]
    assert created[1].changes["name"] == [None, "登云水库"]
    assert created[1].changes["persons"][1][0]["name"] == "林巡查"
    assert created[0].changes == {"code": [None, asset.code.code]}
    assert created[1].actor_name == "supervisor"

    assets.update_asset(users["admin"], asset, {
        "name": "登云水库（新）", "owner_unit": "晋安区水利局",
        "persons": [{"role": "patrol", "name": "陈巡查", "phone": "13805910002"}],
    }, asset.version)
    db.session.commit()
    update = reading.entries_for("asset", asset.id)[0]
    assert (update.action, update.actor_name) == ("update", "admin")
    assert update.changes["name"] == ["登云水库", "登云水库（新）"]
    assert "owner_unit" not in update.changes
    assert [p["name"] for p in update.changes["persons"][0]] == ["林巡查"]
    assert [p["name"] for p in update.changes["persons"][1]] == ["陈巡查"]

    assets.retire_asset(users["admin"], asset, asset.version)
    db.session.commit()
    assert reading.entries_for("asset", asset.id)[0].changes == {"status": ["in_service", "decommissioned"]}
    assert verification.verify() == []


def test_codes_issued_bound_and_revoked_are_recorded(db, make_asset, users):
    asset = make_asset()
    old = asset.code
    replacement = code_services.revoke_code(users["supervisor"], old, "标牌被撞坏")
    db.session.commit()
    revoked = reading.entries_for("code", old.code)
    assert revoked[0].action == "revoke"
    assert revoked[0].changes["status"] == ["bound", "revoked"]
    assert revoked[0].changes["revoked_reason"] == ["", "标牌被撞坏"]
    assert [e.action for e in reading.entries_for("code", replacement.code)] == ["issue"]
    assert reading.entries_for("asset", asset.id)[0].changes == {"code": [None, replacement.code]}
    assert verification.verify() == []


def test_a_refused_change_writes_nothing(db, make_asset, users):
    asset = make_asset()
    before = len(trail(db))
    try:
        assets.update_asset(users["viewer"], asset, {"name": "x"}, asset.version)
    except Exception:
        db.session.rollback()
    assert len(trail(db)) == before


def test_cli_verify_exits_0_on_an_intact_chain_and_1_on_a_tampered_one(app, db, users):
    ids = three_entries(db, users)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 3 entries, chain intact" in result.output

    db.session.execute(sa.text("UPDATE audit_entry SET entity_id = '8' WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--every", "1"])
    assert result.exit_code == 1
    assert f"#{ids[1]} edited" in result.output
    assert "checked 2 entries" in result.output


def test_entries_rolled_back_with_a_savepoint_or_transaction_leave_no_gap(db, users):
    actor = users["supervisor"]
    kept = audit.record(actor, "asset", 1, "update", {"n": [0, 1]})
    savepoint = db.session.begin_nested()
    audit.record(actor, "asset", 1, "update", {"n": [1, 2]})
    savepoint.rollback()
    db.session.commit()
    # The recorded end is the entry kept, not the one the savepoint took with it.
    head = db.session.get(AuditHead, 1)
    assert (head.last_id, head.last_hash) == (kept.id, kept.hash)
    after_savepoint = audit.record(actor, "asset", 1, "update", {"n": [1, 3]})
    db.session.commit()
    audit.record(actor, "asset", 1, "update", {"n": [3, 4]})
    db.session.rollback()
    last = audit.record(actor, "asset", 1, "update", {"n": [3, 5]})
    db.session.commit()

    assert after_savepoint.prev_hash == kept.hash and last.prev_hash == after_savepoint.hash
    assert [e.changes["n"][1] for e in trail(db)] == [1, 3, 5]
    assert verification.verify() == []


def test_a_registered_vocabulary_is_shown_in_the_readers_language(app, monkeypatch):
    monkeypatch.setitem(reading._VOCABULARIES, ("pump", "state"), {})
    reading.register_labels("pump", "state", {"hurry": N_("Urgent")})
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert reading.value_text("pump", "state", "hurry") == "紧急"
        assert reading.value_text("pump", "state", "idle") == "idle"
        assert reading.value_text("pump", "other", "hurry") == "hurry"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert reading.value_text("pump", "state", "hurry") == "Urgent"


def test_the_domains_register_their_words_at_app_start(app):
    """Work orders, facilities and the calendar name their recorded values; the trail imports none of them."""
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert reading.value_text("work_order", "priority", "urgent") == "紧急"
        assert reading.value_text("asset", "status", "under_repair") == "维修中"
        assert reading.value_text("asset", "attributes", {"zzz": 1}) == "zzz: 1"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert reading.value_text("asset", "result", "一类") == "Category 1"
        assert reading.value_text("asset", "kind", "routine_patrol") == "Routine patrol"
    audit_package = Path(reading.__file__).parent
    domains = {path.parent.name for path in audit_package.parent.glob("*/__init__.py")} - {"audit"}
    for path in audit_package.glob("*.py"):
        imported = re.findall(r"^\s*from \.\.(\w+)", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert set(imported) & domains == set(), path.name
