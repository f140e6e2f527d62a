"""assets.lookup: the one way from an id or an identity code, as people type it, to the facility."""
import pytest

from municipal.assets import lookup
from municipal.assets.identity import codes
from municipal.assets.identity import services as code_services
from municipal.assets.models import Area, IdentityCode
from municipal.assets.types import PREFIXES
from municipal.db import MAX_ID
from municipal.errors import NotFound, PermissionDenied, ValidationError


def spellings(code: str) -> list[str]:
    return [code, code.lower(), code.replace("-", ""), f"  {code.lower().replace('-', ' ')} ",
            code.replace("0", "O").replace("1", "I")]


def test_an_id_or_any_spelling_of_its_code_finds_the_facility(app, make_asset):
    asset = make_asset()
    assert lookup.find_asset(asset.id) is asset
    assert lookup.find_asset(str(asset.id)) is asset and lookup.find_asset(f" {asset.id} ") is asset
    for text in spellings(asset.code.code):
        assert lookup.find_asset(text) is asset, text


def test_a_revoked_code_still_finds_the_facility_it_was_bound_to(app, db, make_asset, users):
    asset = make_asset()
    old = asset.code.code
    replacement = code_services.revoke_code(users["supervisor"], asset.code, "label broken")
    db.session.commit()
    assert lookup.find_asset(old) is asset and lookup.find_asset(replacement.code) is asset


@pytest.mark.parametrize("ref", [0, "0", str(MAX_ID + 1), "99999", 99999, None, "", "  "])
def test_an_id_of_no_facility_is_not_found_naming_the_field(app, make_asset, ref):
    make_asset()
    with pytest.raises(NotFound) as missing:
        lookup.find_asset(ref, field="facility")
    assert list(missing.value.fields) == ["facility"]


def test_a_code_of_no_facility_is_not_found_and_an_unbound_one_says_so(app, db, make_asset):
    make_asset()
    prefix = next(iter(PREFIXES))
    free = codes.format_code(prefix, "10K1Q", codes.check_char(prefix + "10K1Q"))
    never = codes.format_code(prefix, "7K3Q9", codes.check_char(prefix + "7K3Q9"))
    db.session.add(IdentityCode(code=free, prefix=prefix))
    db.session.commit()
    with pytest.raises(lookup.CodeNotBound) as unbound:
        lookup.find_asset(free.lower())
    assert unbound.value.identity.code == free and unbound.value.status == 404
    with pytest.raises(NotFound) as missing:
        lookup.find_asset(never)
    assert not isinstance(missing.value, lookup.CodeNotBound) and list(missing.value.fields) == ["asset"]


def test_a_mistyped_code_is_refused_as_the_scan_page_refuses_it(app, make_asset):
    code = make_asset().code.code
    wrong = code[:-1] + next(c for c in codes.ALPHABET if c != code[-1])
    for text in (wrong, "RSV-7K3Q9", "hello", "ZZZ-7K3Q9-G", -1):
        with pytest.raises(ValidationError) as refused:
            lookup.find_asset(text, field="code")
        assert list(refused.value.fields) == ["code"]
        assert isinstance(refused.value, lookup.NO_FACILITY)


def test_codes_only_where_an_id_is_not_a_facility(app, make_asset):
    asset = make_asset()
    assert lookup.find_asset(asset.code.code, ids=False) is asset
    with pytest.raises(NotFound):
        lookup.find_asset(str(asset.id), ids=False)


def test_a_visible_facility_only_to_those_who_may_see_it(app, db, make_asset, users, area):
    asset = make_asset()
    assert lookup.visible_asset(users["viewer"], asset.code.code) is asset
    elsewhere = Area(code="yuefeng", name="岳峰镇", level="town", parent=area.parent)
    db.session.add(elsewhere)
    db.session.flush()
    elsewhere.path = f"{area.parent.path}{elsewhere.id}/"
    supervisor = users["supervisor"]
    supervisor.areas = [elsewhere]
    db.session.commit()
    with pytest.raises(PermissionDenied):
        lookup.visible_asset(supervisor, asset.id)
