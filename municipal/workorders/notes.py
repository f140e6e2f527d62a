"""Comments and attachments on a work order. Flushes, never commits."""
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from .. import media
from ..audit.services import record
from ..errors import PermissionDenied, ValidationError
from ..extensions import db
from .models import WorkOrderAttachment, WorkOrderComment
from .access import get_work_order



def add_comment(actor, order_id, body: str) -> WorkOrderComment:
    order = get_work_order(actor, order_id)
    if actor.role == "viewer":
        raise PermissionDenied(_("Viewers may not comment."))
    body = (body or "").strip()
    if not body or len(body) > 4000:
        raise ValidationError(_("The comment was not added."), {"body": _("1 to 4000 characters")})
    comment = WorkOrderComment(work_order_id=order.id, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    record(actor, "work_order", order.id, "comment", {"comment": [None, body]})
    return comment


def add_attachment(actor, order_id, stream, filename: str) -> WorkOrderAttachment:
    """A photo (made upright and smaller, with a thumbnail) or a PDF, checked by content, not by name."""
    order = get_work_order(actor, order_id)
    if actor.role == "viewer":
        raise PermissionDenied(_("Viewers may not add attachments."))
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "file"
    head = stream.read(5) if stream is not None else b""
    if stream is not None:
        stream.seek(0)
    folder = f"work_orders/{order.id}"
    if head == b"%PDF-":
        path, size = media.store_pdf(stream, folder)
        attachment = WorkOrderAttachment(work_order_id=order.id, filename=name, content_type="application/pdf",
                                         size_bytes=size, path=path, uploaded_by_id=actor.id)
    else:
        image = media.load_image(stream, field="file")
        path, thumb_path, _size = media.store_image(image, folder)
        size = (Path(current_app.config["MEDIA_DIR"]) / path).stat().st_size
        attachment = WorkOrderAttachment(work_order_id=order.id, filename=name, content_type="image/jpeg",
                                         size_bytes=size, path=path, thumb_path=thumb_path, uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    record(actor, "work_order", order.id, "attach", {"attachment": [None, name]})
    return attachment
