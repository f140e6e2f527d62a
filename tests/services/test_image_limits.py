"""An image with too many pixels is refused from its header, before it is decoded, on every upload path."""
from io import BytesIO

import pytest
import sqlalchemy as sa
from PIL import Image

from municipal.assets.models import AssetPhoto
from municipal.assets.photos import add_asset_photo
from municipal.errors import ValidationError
from municipal.inspections import services as inspections
from municipal.intake import services as intake
from municipal.workorders import notes as workorders_notes
from municipal.workorders.models import WorkOrderAttachment
from tests.services.test_inspections import order, submission  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """7740 × 7740 pixels in a few KB: decoded, about 700 MB."""
    out = BytesIO()
    Image.new("1", (7740, 7740)).save(out, "PNG")
    assert len(out.getvalue()) < 20_000
    return out.getvalue()


def test_a_facility_photo(db, users, make_asset, bomb):
    dam = make_asset("reservoir", "登云水库")
    with pytest.raises(ValidationError) as refused:
        add_asset_photo(users["supervisor"], dam, BytesIO(bomb))
    assert list(refused.value.fields) == ["photo"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AssetPhoto)) == 0


def test_a_citizen_report_photo(db, bomb):
    with pytest.raises(ValidationError) as refused:
        intake.submit_report(category="other", description="路灯不亮，晚上路过的行人看不清路面", fingerprint="client-a",
                             photo=BytesIO(bomb))
    assert "photo" in refused.value.fields


def test_an_inspection_photo(db, users, order, bomb):  # noqa: F811
    with pytest.raises(ValidationError) as refused:
        inspections.submit(users["crew"], order.id, submission(photos={"overview": [BytesIO(bomb)]}))
    assert list(refused.value.fields) == ["photo.overview"]


def test_a_work_order_attachment(db, users, order, bomb):  # noqa: F811
    with pytest.raises(ValidationError) as refused:
        workorders_notes.add_attachment(users["supervisor"], order.id, BytesIO(bomb), "scan.png")
    assert list(refused.value.fields) == ["file"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrderAttachment)) == 0
