"""Backup and restore: the database and the media folder in one .tar.gz with a manifest.

The archive holds `manifest.json`, the database (`database.sqlite3`, a copy made with SQLite's online
backup API, or `database.pgdump`, a `pg_dump --format=custom`) and `media/…`. Nothing is replaced until
everything in the archive has been read and checked: a restore that fails half-way leaves the data as
it was.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from . import clock
from .extensions import db

FORMAT = "municipal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def _no_progress(message: str) -> None:
    pass


def backup(path: str | Path, progress=_no_progress) -> dict:
    """Write the database and the media folder to the archive `path`; return its manifest."""
    path = Path(path)
    target = _database()
    media_root = Path(current_app.config["MEDIA_DIR"])
    media_files = sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.is_dir() else []
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "database": target["kind"],
        "schema": target.get("schema"),
        "alembic_revision": _alembic_revision(),
        "created_at": clock.now().isoformat(),
        "files": {"database": DATABASE_FILES[target["kind"]], "media": len(media_files)},
    }
    with tempfile.TemporaryDirectory(dir=path.parent) as work:
        dump = Path(work) / DATABASE_FILES[target["kind"]]
        progress(_("Copying the database…"))
        if target["kind"] == "sqlite":
            _sqlite_copy(target["path"], dump)
        else:
            _pg_run("pg_dump", ["--format=custom", f"--file={dump}", *_pg_schema_args(target)], target)
        # Written beside the final file and renamed at the end: a failed backup never leaves a
        # truncated archive under the name a nightly job rotates.
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            archive.add(dump, arcname=dump.name)
            _copy_media(media_files, len(media_files), progress,
                        lambda file: archive.add(file, arcname=f"{MEDIA}/{file.relative_to(media_root).as_posix()}"))
        os.replace(partial, path)
    progress(_("Backup written to %(path)s.", path=str(path)))
    return manifest


def read_manifest(path: str | Path) -> dict:
    """The archive's manifest, or a BackupError when the file is not a backup this version can restore."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            manifest = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError):
        raise BackupError(_("%(path)s is not a municipal backup archive.", path=str(path))) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s is not a municipal backup archive.", path=str(path)))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(_("The archive has backup format version %(found)s; this version of municipal "
                            "restores only version %(expected)s.",
                            found=manifest.get("format_version"), expected=FORMAT_VERSION))
    return manifest


def restore(path: str | Path, progress=_no_progress) -> dict:
    """Replace the database and the media folder by the archive's; return its manifest.

    The archive must have been made from the same kind of database (and, on PostgreSQL, the same schema)."""
    manifest = read_manifest(path)
    target = _database()
    if manifest["database"] != target["kind"]:
        raise BackupError(_("The archive holds a %(found)s database, but this installation uses %(expected)s: "
                            "restore it on a %(found)s installation.",
                            found=manifest["database"], expected=target["kind"]))
    if manifest.get("schema") != target.get("schema"):
        raise BackupError(_("The archive holds the database schema %(found)s, but this installation uses "
                            "%(expected)s.", found=manifest.get("schema") or "public",
                            expected=target.get("schema") or "public"))
    media_root = Path(current_app.config["MEDIA_DIR"]).resolve()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    # The new media folder is unpacked beside the old one, on the same file system, so the swap is a rename.
    with tempfile.TemporaryDirectory(dir=media_root.parent, prefix=".restore-") as work:
        work = Path(work)
        new_media = work / MEDIA
        new_media.mkdir()
        dump = _unpack(path, manifest, work, new_media, progress)
        # Nobody may hold a connection (and its locks or cached pages) across the replacement.
        db.session.remove()
        db.engine.dispose()
        progress(_("Restoring the database…"))
        if target["kind"] == "sqlite":
            _sqlite_restore(dump, target["path"])
        else:
            _pg_run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                                   *_pg_schema_args(target), str(dump)], target)
        progress(_("Replacing the media folder…"))
        old_media = work / "old-media"
        if media_root.exists():
            media_root.rename(old_media)
        new_media.rename(media_root)
    progress(_("Restored the backup made at %(created_at)s (schema revision %(revision)s).",
               created_at=manifest["created_at"], revision=manifest["alembic_revision"]))
    return manifest


def _database() -> dict:
    """What the app's database URL points at: its kind and where it is."""
    url = db.engine.url
    kind = url.get_backend_name()
    if kind == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError(_("An in-memory SQLite database cannot be backed up."))
        return {"kind": "sqlite", "path": Path(url.database)}
    if kind == "postgresql":
        return {"kind": "postgresql", "url": url, "schema": _search_path_schema(url)}
    raise BackupError(_("Backups support SQLite and PostgreSQL, not %(kind)s.", kind=kind))


def _search_path_schema(url) -> str | None:
    """The first schema of a search_path set in the URL (`?options=-csearch_path=…`), which is where the
    app's tables are; None when the URL sets none (the whole database is backed up)."""
    options = url.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    match = re.search(r"-c\s*search_path\s*=\s*([^\s,]+)", options)
    return match.group(1).strip('"') if match else None


def _alembic_revision() -> str | None:
    return db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _sqlite_copy(source: Path, destination: Path) -> None:
    # The online backup API copies a consistent snapshot while the app goes on writing.
    with closing(_sqlite_connect(source)) as live, closing(_sqlite_connect(destination)) as copy:
        live.backup(copy)


def _sqlite_restore(dump: Path, live_path: Path) -> None:
    try:
        with closing(_sqlite_connect(dump)) as restored:
            problems = restored.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        problems = str(error)
    if problems != "ok":
        raise BackupError(_("The database in the archive is damaged: %(problems)s", problems=problems))
    # Copied into the live file by the backup API, which writes it in one transaction: the database
    # is either wholly the old one or wholly the restored one, and the WAL and other processes' open
    # connections stay consistent, which renaming a file under them would not.
    with closing(_sqlite_connect(dump)) as restored, closing(_sqlite_connect(live_path)) as live:
        restored.backup(live)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path))
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _pg_schema_args(target: dict) -> list[str]:
    return [f"--schema={target['schema']}"] if target.get("schema") else []


def _pg_dbname(target: dict) -> str:
    url = target["url"]
    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    return " ".join(f"{key}={_conninfo_quote(str(value))}" for key, value in parts.items() if value)


def _conninfo_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _pg_run(program: str, args: list[str], target: dict) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(_("%(program)s is not installed: install the Debian package postgresql-client "
                            "(sudo apt-get install postgresql-client, or run scripts/install_system_deps.sh).",
                            program=program))
    env = dict(os.environ)
    if target["url"].password:
        env["PGPASSWORD"] = str(target["url"].password)
    finished = subprocess.run([executable, f"--dbname={_pg_dbname(target)}", *args], env=env,
                              capture_output=True, text=True)
    if finished.returncode != 0:
        raise BackupError(_("%(program)s failed: %(error)s", program=program, error=finished.stderr.strip()))


def _copy_media(files: list, total: int, progress, copy_one) -> None:
    """Copy each media file with `copy_one`, reporting every tenth of the way."""
    progress(_("Media: %(total)s files.", total=total))
    reported = 0
    for done, file in enumerate(files, start=1):
        copy_one(file)
        percent = done * 100 // total
        if percent >= reported + 10 or done == total:
            reported = percent
            progress(_("Media: %(percent)s%% (%(done)s of %(total)s files)", percent=percent, done=done,
                       total=total))


def _unpack(path, manifest: dict, work: Path, new_media: Path, progress) -> Path:
    """Unpack the database and the media files into `work`; return the database file."""
    database_name = DATABASE_FILES[manifest["database"]]
    with tarfile.open(path, "r:gz") as archive:
        members = archive.getmembers()
        names = {member.name for member in members}
        if database_name not in names:
            raise BackupError(_("The archive has no %(name)s.", name=database_name))
        progress(_("Unpacking the database…"))
        archive.extract(database_name, work, filter="data")
        media = [m for m in members if m.isfile() and m.name.startswith(f"{MEDIA}/")]
        if len(media) != manifest["files"]["media"]:
            raise BackupError(_("The archive is incomplete: the manifest lists %(expected)s media files, "
                                "the archive holds %(found)s.", expected=manifest["files"]["media"],
                                found=len(media)))
        # The "data" filter refuses absolute paths, links out of the folder and device files.
        _copy_media(media, len(media), progress, lambda member: archive.extract(member, work, filter="data"))
    return work / database_name


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(clock.now().timestamp())
    archive.addfile(info, BytesIO(data))
