"""The report-device cookie: a random id a phone keeps for DAYS days, which the rate limit counts beside the
phone's address, so a phone moving between networks is still the same reporter. Given and read alike by the
report form and the public report API, so neither is a way around the other's count."""
import secrets

from flask import after_this_request, request

from . import services

COOKIE = "report_device"
DAYS = 400


def current() -> str:
    """This request's device id: the cookie's, or a new one when it has none or a malformed one; the response
    gives it back (or gives it for the first time), so the next report from this phone carries it."""
    device_id = request.cookies.get(COOKIE, "")
    if services.device_key(device_id) is None:
        device_id = secrets.token_hex(16)

    @after_this_request
    def remember(response):
        response.set_cookie(COOKIE, device_id, max_age=DAYS * 86400, httponly=True, samesite="Lax",
                            secure=request.is_secure)
        return response

    return device_id
