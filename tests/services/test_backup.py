"""The backup drill: back up, change things, restore, and the registry, the photos and the audit trail are
as they were. Runs on the suite's database, SQLite or PostgreSQL."""
import json
import tarfile
from io import BytesIO
from pathlib import Path

import pytest

from municipal import backup
from municipal.assets import services as asset_services
from municipal.assets.photos import add_asset_photo
from municipal.workorders.services import create_work_order
from tests.conftest import jpeg_bytes


@pytest.fixture
def media(app, tmp_path, monkeypatch):
    """A media folder of the test's own: a restore replaces the whole folder."""
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_DIR", str(root))
    return root


def _export(runner) -> str:
    result = runner.invoke(args=["export-assets", "--format", "csv"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_restore_brings_back_the_facilities_work_orders_and_photos(app, db, users, make_asset, media, tmp_path):
    runner = app.test_cli_runner()
    reservoir = make_asset("reservoir", "北峰水库")
    manhole = make_asset("manhole", "东街检查井")
    create_work_order(users["supervisor"], asset_id=manhole.id, kind="repair", title="井盖破损")
    photo = add_asset_photo(users["supervisor"], reservoir, BytesIO(jpeg_bytes()), "大坝")
    db.session.commit()
    photo_file = media / photo.path
    photo_bytes = photo_file.read_bytes()
    before = _export(runner)
    archive = tmp_path / "nightly.tar.gz"

    made = runner.invoke(args=["backup", str(archive)])

    assert made.exit_code == 0, made.output
    assert "100%" in made.stderr
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["database"] == db.engine.dialect.name
    assert manifest["alembic_revision"] and manifest["created_at"].startswith("2026-11-26T02:00")
    assert manifest["files"]["media"] == 2  # the photo and its thumbnail

    asset_services.retire_asset(users["supervisor"], manhole, manhole.version)
    db.session.commit()
    make_asset("manhole", "新建检查井")
    photo_file.unlink()
    assert _export(runner) != before

    refused = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert refused.exit_code == 1 and "新建检查井" in _export(runner)

    restored = runner.invoke(args=["restore", str(archive), "--yes"])

    assert restored.exit_code == 0, restored.output
    assert _export(runner) == before
    assert photo_file.read_bytes() == photo_bytes
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    from municipal.workorders.models import WorkOrder

    assert [w.title for w in db.session.query(WorkOrder)] == ["井盖破损"]


def _archive(path: Path, manifest: dict) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        archive.addfile(info, BytesIO(data))
    return path


def test_a_restore_refuses_another_format_version_or_database_kind(app, db, make_asset, media, tmp_path):
    runner = app.test_cli_runner()
    make_asset("manhole", "东街检查井")
    before = _export(runner)
    other_kind = "postgresql" if db.engine.dialect.name == "sqlite" else "sqlite"
    manifest = {"format": backup.FORMAT, "format_version": backup.FORMAT_VERSION, "database": other_kind,
                "schema": None, "alembic_revision": "x", "created_at": "2026-11-25T18:00:00+00:00",
                "files": {"database": backup.DATABASE_FILES[other_kind], "media": 0}}

    wrong_kind = runner.invoke(args=["restore", "--yes", str(_archive(tmp_path / "kind.tar.gz", manifest))])
    newer = runner.invoke(args=["restore", "--yes", str(_archive(tmp_path / "version.tar.gz",
                                                                  {**manifest, "format_version": 99}))])
    not_a_backup = tmp_path / "notes.tar.gz"
    not_a_backup.write_text("hello")
    garbage = runner.invoke(args=["restore", "--yes", str(not_a_backup)])

    assert wrong_kind.exit_code == 2 and other_kind in wrong_kind.stderr
    assert newer.exit_code == 2 and "99" in newer.stderr
    assert garbage.exit_code == 2 and "notes.tar.gz" in garbage.stderr
    assert _export(runner) == before


def test_a_damaged_archive_changes_nothing(app, db, make_asset, media, tmp_path):
    runner = app.test_cli_runner()
    make_asset("manhole", "东街检查井")
    (media / "assets").mkdir(parents=True)
    (media / "assets" / "kept.jpg").write_bytes(b"photo")
    archive = tmp_path / "nightly.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    before = _export(runner)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("database."):
                data = b"not a database" * 100
                member.size = len(data)
            target.addfile(member, BytesIO(data))

    result = runner.invoke(args=["restore", "--yes", str(damaged)])

    assert result.exit_code == 2
    assert _export(runner) == before
    assert (media / "assets" / "kept.jpg").read_bytes() == b"photo"


def test_without_the_postgresql_client_the_backup_names_the_package_to_install(app, db, media, tmp_path,
                                                                              monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite is copied without client programs")
    monkeypatch.setenv("PATH", str(tmp_path))

    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "nightly.tar.gz")])

    assert result.exit_code == 2 and "postgresql-client" in result.stderr
    assert not (tmp_path / "nightly.tar.gz").exists()
