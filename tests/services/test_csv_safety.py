"""CSV export never hands a spreadsheet a formula; import refuses NUL characters with their row and column."""
import csv
from io import BytesIO, StringIO

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from municipal.assets.models import Asset
from municipal.assets.transfer import exporting, importing
from tests.services.test_io import wipe_registry

RISKY = {"name": "=HYPERLINK(\"http://evil.example\",\"井\")", "owner_unit": "+86 591 1234",
         "maintenance_unit": "-维护站", "address": "@SUM(A1)"}


def exported(**filters) -> str:
    out = StringIO()
    exporting.export_csv(out, headers="en", **filters)
    return out.getvalue()


def test_text_that_a_spreadsheet_would_run_is_quoted_and_imports_back_unchanged(db, users, make_asset):
    make_asset("reservoir", RISKY["name"], owner_unit=RISKY["owner_unit"], maintenance_unit=RISKY["maintenance_unit"],
               address=RISKY["address"])
    text = exported()
    rows = list(csv.DictReader(StringIO(text.lstrip("\ufeff"))))
    assert {field: rows[0][field] for field in RISKY} == {field: "'" + value for field, value in RISKY.items()}
    # Numbers stay numbers.
    assert rows[0]["attr.dam_height_m"] == "18"
    wipe_registry(db)
    importing.import_csv(users["supervisor"], BytesIO(text.encode()))
    db.session.commit()
    asset = db.session.scalar(sa.select(Asset))
    assert {field: getattr(asset, field) for field in RISKY} == RISKY


def test_a_nul_character_is_refused_with_its_row_and_column(db, users, area):
    text = ("type,name,area,lon,lat,address\n"
            f"manhole,井一,{area.code},119.31,26.09,福新中路\n"
            f"manhole,井二,{area.code},119.31,26.09,福新\x00中路\n")
    with force_locale("en"), pytest.raises(importing.ImportRejected) as refused:
        importing.import_csv(users["admin"], BytesIO(text.encode()))
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "address")]
    assert "NUL" in refused.value.problems[0].message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Asset)) == 0
