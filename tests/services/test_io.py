"""Bulk import and export (municipal/assets/transfer/) and the import-assets / export-assets commands."""
import json
from datetime import date
from io import BytesIO, StringIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask_babel import force_locale

from municipal.assets.identity import codes
from municipal.assets.identity import services as code_services
from municipal.assets.models import Asset, CodeEvent, IdentityCode, ResponsiblePerson
from municipal.assets.transfer import columns, exporting, importing
from municipal.assets.types import STATUSES, TYPES
from municipal.errors import PermissionDenied, ValidationError

POINT = {"type": "Point", "coordinates": [119.35, 26.15]}
PIPE = {"type": "LineString", "coordinates": [[119.3, 26.1], [119.301, 26.1005], [119.302, 26.101]]}
HEADER = "type,name,area,lon,lat,attr.network"
CATALOGUE = Path(__file__).resolve().parents[2] / "municipal" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(autouse=True)
def english(db):
    # Messages are asserted in English; there is no request to choose a language from.
    with force_locale("en"):
        yield


@pytest.fixture
def registry(make_asset):
    """Three facilities that use every kind of column: a point, a line with chainage, a period."""
    reservoir = make_asset(
        "reservoir", "北峰水库", status="under_repair", owner_unit="晋安区水利局", maintenance_unit="北峰水库管理站",
        address="宦溪镇北峰村", in_service_on="1998-10-01",
        attributes={"capacity_m3": 3_500_000, "dam_height_m": 18.5, "dam_type": "土坝",
                    "first_impoundment_period": {"start": "1998-04-01", "end": "1998-09-30"}},
        persons=[{"role": "administrative", "name": "林建华", "unit": "宦溪镇人民政府", "position": "副镇长",
                  "phone": "0591-87610001"},
                 {"role": "patrol", "name": "黄明辉", "unit": "北峰村民委员会", "phone": "0591-87610003"}],
    )
    manhole = make_asset("manhole", "福新中路1号井", attributes={"network": "污水", "depth_m": 2.5})
    pipe = make_asset(
        "water_pipe", "连江北路DN300给水管", geometry=PIPE, chainage_start="K0+120", chainage_end="1250.5",
        attributes={"diameter_mm": 300, "material": "球墨铸铁", "length_m": 1130.5},
    )
    return [reservoir, manhole, pipe]


def wipe_registry(db):
    """Empty the registry but keep users and areas, as in a fresh installation."""
    for model in (CodeEvent, IdentityCode, ResponsiblePerson, Asset):
        db.session.execute(sa.delete(model))
    db.session.commit()


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def import_text(user, text: str, encoding="utf-8"):
    return importing.import_csv(user, BytesIO(text.encode(encoding)))


def rejected(user, text: str, encoding="utf-8") -> importing.ImportRejected:
    with pytest.raises(importing.ImportRejected) as info:
        import_text(user, text, encoding)
    return info.value


def where(error: importing.ImportRejected) -> list[tuple]:
    return [(p.row, p.column) for p in error.problems]


def export_csv(**filters) -> str:
    out = StringIO()
    exporting.export_csv(out, **filters)
    return out.getvalue()


def test_the_column_table_covers_every_type_attribute_and_status():
    assert set(columns.ATTRIBUTE_HEADERS) == {a.name for t in TYPES.values() for a in t.attributes}
    assert set(columns.TYPE_LABELS) == set(TYPES)
    assert set(columns.STATUS_LABELS) == set(STATUSES)
    chinese = list(columns.ALL_COLUMNS.values())
    assert len(set(chinese)) == len(chinese)
    assert not set(chinese) & set(columns.ALL_COLUMNS)


def test_chinese_headers_and_values_are_the_labels_the_interface_shows():
    # A file written by hand uses the words on screen; changing either side is a deliberate decision,
    # since files already in use carry the old header.
    with open(CATALOGUE, "rb") as handle:
        zh = {m.id: m.string for m in read_po(handle) if m.id}
    assert columns.ATTRIBUTE_HEADERS == {a.name: zh[a.label] for t in TYPES.values() for a in t.attributes}
    assert columns.TYPE_LABELS == {key: zh[t.label] for key, t in TYPES.items()}
    assert columns.STATUS_LABELS == {key: zh[label] for key, label in STATUSES.items()}


@pytest.mark.parametrize("headers", ["zh", "en"])
def test_csv_round_trip(db, users, registry, headers):
    exported = export_csv(headers=headers)
    wipe_registry(db)

    result = importing.import_csv(users["supervisor"], BytesIO(exported.encode("utf-8")))
    db.session.commit()

    assert result == importing.ImportResult(facilities=3, codes_bound=3, codes_created=3)
    assert export_csv(headers=headers) == exported
    pipe = db.session.scalar(sa.select(Asset).where(Asset.type == "water_pipe"))
    assert pipe.geometry == PIPE
    reservoir = db.session.scalar(sa.select(Asset).where(Asset.type == "reservoir"))
    assert [(p.role, p.name, p.unit, p.position, p.phone) for p in reservoir.persons] == [
        ("administrative", "林建华", "宦溪镇人民政府", "副镇长", "0591-87610001"),
        ("patrol", "黄明辉", "北峰村民委员会", "", "0591-87610003")]
    assert (pipe.chainage_start_m, pipe.chainage_end_m) == (120, 1250.5)


def test_csv_export_is_excel_friendly_with_code_and_scan_url(registry):
    text = export_csv()

    assert text.startswith("\ufeff编码,扫码地址,类型,名称,所属区域,状态,")
    rows = text.splitlines()
    assert len(rows) == 4
    code = registry[0].code.code
    assert rows[1].startswith(f"{code},HTTP://MUNICIPAL.TEST/A/{code},水库,北峰水库,鼓山镇,维修中,")
    assert "1998-04-01/1998-09-30" in rows[1]
    english = export_csv(headers="en").splitlines()
    assert english[0].startswith("\ufeffcode,url,type,name,area,status,")
    assert english[1].startswith(f"{code},HTTP://MUNICIPAL.TEST/A/{code},reservoir,北峰水库,gushan,under_repair,")


def test_export_filters_by_type_and_area(db, make_asset, area):
    make_asset("manhole", "镇里的井")
    make_asset("manhole", "无区域的井", area=None)
    make_asset("reservoir", "镇里的水库")

    manholes = export_csv(asset_type="manhole").splitlines()[1:]
    assert [row.split(",")[3] for row in manholes] == ["镇里的井", "无区域的井"]
    in_district = export_csv(area="晋安区").splitlines()[1:]  # the town's parent takes in the town
    assert [row.split(",")[3] for row in in_district] == ["镇里的井", "镇里的水库"]
    with pytest.raises(ValidationError):
        export_csv(area="nowhere")


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_import_reads_utf8_with_or_without_bom(db, users, area, bom):
    import_text(users["admin"], f"{bom}类型,名称,所属区域,经度,纬度,管网,投用日期\n"
                                "检查井,北门井,鼓山镇,119.31,26.09,雨水,2015/6/1\n")  # the date as Excel saves it

    asset = db.session.scalar(sa.select(Asset))
    assert (asset.type, asset.name, asset.area_id, asset.attributes) == ("manhole", "北门井", area.id, {"network": "雨水"})
    assert asset.in_service_on == date(2015, 6, 1)
    assert asset.geometry == {"type": "Point", "coordinates": [119.31, 26.09]}
    assert asset.code.code.startswith("MH-")


def test_gbk_file_is_refused(db, users, area):
    error = rejected(users["admin"], "类型,名称\n检查井,北门井\n", encoding="gbk")

    assert len(error.problems) == 1
    assert "not UTF-8" in error.problems[0].message and "CSV UTF-8" in error.problems[0].message
    assert count(db, Asset) == 0


def test_missing_required_column_is_named(users):
    error = rejected(users["admin"], "类型,所属区域\n检查井,鼓山镇\n")

    assert [(p.row, p.column, p.message) for p in error.problems] == [(1, "名称 / name", "the column is missing")]


def test_unknown_empty_and_repeated_columns_are_refused(users):
    error = rejected(users["admin"], "type,name,colour,,名称\n")

    assert where(error) == [(1, "colour"), (1, None), (1, "名称")]
    assert "column 4 has no header" in error.problems[1].message


def test_broken_rows_are_reported_by_spreadsheet_row(db, users, area):
    text = (
        "type,name,address,lon,lat\n"
        'manhole,井一,"福新中路\n1号",119.31,26.09\n'  # one row over two lines
        "manhole,井二,福新中路,2号,119.31,26.09\n"  # an unquoted comma: one cell too many
        ",,,,\n"  # a blank row left by the spreadsheet
        "manhole,井三,119.31,26.09\n"
    )
    error = rejected(users["admin"], text)

    assert where(error) == [(3, None), (5, None)]
    assert error.problems[0].message.startswith("has 6 cells but the header has 5")
    assert error.lines()[0].startswith("Row 3: has 6 cells")
    assert count(db, Asset) == 0


def test_mixed_file_writes_nothing_and_lists_every_bad_row(db, users, area):
    text = "\n".join([
        "type,name,area,lon,lat,geometry,attr.capacity_m3,attr.dam_height_m,attr.dam_type,attr.network",
        "manhole,好井,gushan,119.31,26.09,,,,,污水",
        "manhole,,gushan,119.31,26.09,,,,,污水",
        "manhole,远井,gushan,121.5,31.2,,,,,污水",
        "castle,城堡,gushan,119.31,26.09,,,,,",
        "reservoir,坏水库,nowhere,119.35,26.15,,lots,18,土坝,",
        "water_pipe,点状管道,gushan,,,\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[119.3,26.1]}\",,,,",
        "manhole,两种位置,gushan,119.31,26.09,\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[119.3,26.1]}\",,,,",
        "manhole,好井二,gushan,119.32,26.08,,,,,雨水",
    ]) + "\n"
    error = rejected(users["admin"], text)

    assert where(error) == [
        (3, "name"),
        (4, "lon/lat"),
        (5, "type"),
        (6, "area"), (6, "attr.capacity_m3"),
        (7, "geometry"),
        (8, "geometry"),
    ]
    assert "lies outside the district" in error.problems[1].message
    assert "unknown asset type castle" in error.problems[2].message
    assert error.lines()[1] == "Row 4, lon/lat: [121.5, 31.2] lies outside the district"
    assert "7 problem(s)" in error.message
    assert count(db, Asset) == count(db, IdentityCode) == count(db, CodeEvent) == 0


def test_problems_in_a_chinese_file_are_named_in_chinese(users, area):
    error = rejected(users["admin"], "类型,名称,经度,纬度\n水库,无库容水库,119.35,26.15\n")

    assert ("总库容", "is required") in [(p.column, p.message) for p in error.problems]


def test_listing_is_capped_with_a_count_of_the_rest(users):
    text = "type,name\n" + "manhole,\n" * 205
    error = rejected(users["admin"], text)

    lines = error.lines()
    assert len(lines) == 201
    assert lines[0] == "Row 2, name: is required"
    assert lines[-1] == "… and 5 more problem(s)."


def test_given_codes_bind_preprinted_labels_and_create_new_ones(db, users, area):
    admin = users["admin"]
    preprinted = code_services.issue_codes(admin, "manhole", 1)[0].code
    db.session.commit()
    new = codes.generate("MH")

    result = import_text(admin, f"code,{HEADER}\n{preprinted},manhole,井一,gushan,119.31,26.09,污水\n"
                                f"{new.lower()},manhole,井二,gushan,119.31,26.09,污水\n")
    db.session.commit()

    assert result == importing.ImportResult(facilities=2, codes_bound=2, codes_created=1)
    bound = dict(db.session.execute(sa.select(IdentityCode.code, Asset.name).join(IdentityCode.asset)).all())
    assert bound == {preprinted: "井一", new: "井二"}
    events = db.session.execute(
        sa.select(IdentityCode.code, CodeEvent.action).join(CodeEvent, CodeEvent.code_id == IdentityCode.id)
    ).all()
    assert sorted(events) == sorted([(preprinted, "issued"), (preprinted, "bound"), (new, "issued"), (new, "bound")])


def test_codes_that_cannot_be_bound_are_refused(db, users, make_asset):
    taken = make_asset().code.code
    reservoir_code = codes.generate("RSV")
    twice = codes.generate("MH")
    valid = codes.generate("MH")
    mistyped = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    text = "\n".join([
        f"code,{HEADER}",
        f"{taken},manhole,井一,gushan,119.31,26.09,污水",
        f"{reservoir_code},manhole,井二,gushan,119.31,26.09,污水",
        f"{twice},manhole,井三,gushan,119.31,26.09,污水",
        f"{twice},manhole,井四,gushan,119.31,26.09,污水",
        f"{mistyped},manhole,井五,gushan,119.31,26.09,污水",
    ]) + "\n"
    error = rejected(users["admin"], text)

    assert where(error) == [(2, "code"), (3, "code"), (5, "code"), (6, "code")]
    messages = [p.message for p in error.problems]
    assert messages[0] == f"Code {taken} is already bound."
    assert messages[1] == f"Code {reservoir_code} is for another type of facility."
    assert messages[2] == f"{twice} is also in row 4"
    assert "check character" in messages[3]
    assert count(db, Asset) == 1


def test_only_editors_may_import(users):
    with pytest.raises(PermissionDenied):
        import_text(users["crew"], f"{HEADER}\n")


# --- GeoJSON ----------------------------------------------------------------------

def export_geojson(**filters) -> dict:
    out = StringIO()
    exporting.export_geojson(out, **filters)
    return json.loads(out.getvalue())


def test_geojson_round_trip(db, users, registry):
    exported = export_geojson()
    assert exported["type"] == "FeatureCollection"
    assert [f["properties"]["type"] for f in exported["features"]] == ["reservoir", "manhole", "water_pipe"]
    assert exported["features"][2]["geometry"] == PIPE
    wipe_registry(db)

    result = importing.import_geojson(users["admin"], BytesIO(json.dumps(exported, ensure_ascii=False).encode()))
    db.session.commit()

    assert result.facilities == 3
    assert export_geojson() == exported


def test_geojson_problems_are_reported_by_feature_number(db, users, area):
    def feature(geometry, **properties):
        return {"type": "Feature", "geometry": geometry, "properties": properties}

    document = {"type": "FeatureCollection", "features": [
        feature(POINT, type="manhole", name="好井", area="gushan"),
        feature(PIPE, type="manhole", name="线状的井"),
        {"type": "Point", "coordinates": [119.3, 26.1]},
        feature(POINT, type="manhole", name="井", colour="red", **{"attr.depth_m": ["deep"]}),
        feature(POINT, type="manhole", name=12, **{"attr.depth_m": 2}),
    ]}
    with pytest.raises(importing.ImportRejected) as info:
        importing.import_geojson(users["admin"], BytesIO(json.dumps(document).encode()))

    assert where(info.value) == [(2, "geometry"), (3, None), (4, "colour"), (4, "attr.depth_m")]
    assert info.value.lines()[0] == "Feature #2, geometry: must be a Point, not LineString"
    assert count(db, Asset) == 0


def test_a_file_that_is_not_a_feature_collection_is_refused(users):
    for content in (b"{not json", b'{"type": "Feature"}', b"[]"):
        with pytest.raises(importing.ImportRejected) as info:
            importing.import_geojson(users["admin"], BytesIO(content))
        assert info.value.problems[0].row is None


# --- commands -----------------------------------------------------------------------

@pytest.fixture
def cli(app, monkeypatch):
    # Commands speak the district's default language; assert on the English messages.
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    return app.test_cli_runner()


def test_import_command_reports_what_it_did(db, cli, users, area, tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text(f"{HEADER}\nmanhole,井一,gushan,119.31,26.09,污水\nmanhole,井二,gushan,119.32,26.08,雨水\n",
                    encoding="utf-8-sig")

    result = cli.invoke(args=["import-assets", str(path), "--user", "supervisor"])

    assert result.exit_code == 0, result.output
    assert "2 facilities imported, 2 codes bound" in result.stdout
    events = db.session.scalars(sa.select(CodeEvent).where(CodeEvent.action == "bound")).all()
    assert {e.user_id for e in events} == {users["supervisor"].id}


def test_import_command_rejects_a_bad_file_with_exit_code_2(db, cli, users, area, tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text(f"{HEADER}\nmanhole,井一,gushan,119.31,26.09,污水\nmanhole,,gushan,119.31,26.09,污水\n")

    result = cli.invoke(args=["import-assets", str(path)])

    assert result.exit_code == 2
    assert "Row 3, name: is required" in result.stderr
    assert count(db, Asset) == 0


def test_import_command_needs_an_editor(db, cli, users, area, tmp_path):
    path = tmp_path / "facilities.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')

    assert cli.invoke(args=["import-assets", str(path), "--user", "crew"]).exit_code == 2
    assert cli.invoke(args=["import-assets", str(path), "--user", "nobody"]).exit_code == 2
    assert cli.invoke(args=["import-assets", str(path)]).exit_code == 0  # the first admin


def test_export_command_writes_csv_and_geojson(cli, registry, tmp_path):
    path = tmp_path / "out.csv"
    result = cli.invoke(args=["export-assets", "--out", str(path), "--type", "manhole"])

    assert result.exit_code == 0, result.output
    assert "1 facilities exported." in result.stderr
    assert path.read_text(encoding="utf-8").startswith("\ufeff编码,")

    result = cli.invoke(args=["export-assets", "--format", "geojson"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["features"]) == 3

    assert cli.invoke(args=["export-assets", "--area", "nowhere"]).exit_code == 2


def test_an_import_writes_one_audit_entry_per_facility_and_the_chain_holds(db, users, area):
    from municipal.audit.models import AuditEntry
    from municipal.audit.verification import verify

    text = "type,name,area\nmanhole,一号井,gushan\nmanhole,二号井,gushan\n"
    importing.import_csv(users["supervisor"], BytesIO(text.encode("utf-8")))
    db.session.commit()
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "import")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.actor_name, e.changes["name"][1]) for e in entries] == [("supervisor", "一号井"), ("supervisor", "二号井")]
    assert verify() == []
