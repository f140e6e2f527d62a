"""Time spent and cost as the forms and the API give them: parsed and bounded."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _

from ..errors import ValidationError



def minutes(value) -> int | None:
    """Time spent as whole minutes, or None when not given."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("The time spent is not valid."), {"time_spent_min": _("whole minutes")}) from None
    if not 0 <= number <= 60 * 24 * 30:
        raise ValidationError(_("The time spent is not valid."), {"time_spent_min": _("between 0 and 43200 minutes")})
    return number


# Numeric(12, 2): ten digits of yuan.
MAX_YUAN = Decimal("9999999999.99")


def yuan(value) -> Decimal | None:
    """A cost in yuan to the fen, or None when not given."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(_("The cost is not valid."), {"cost_yuan": _("a number of yuan")})
    if not 0 <= amount <= MAX_YUAN:
        raise ValidationError(_("The cost is not valid."), {"cost_yuan": _("between 0 and 9999999999.99 yuan")})
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
