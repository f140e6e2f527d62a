"""The citizen's card of a scanned code: its ETag, its memoised render and the token its beacon sends.

An anonymous scan is the busiest request there is, and every phone that scanned a label before asks again
for the same page. So:

- a repeat scan is answered 304 Not Modified from one indexed lookup (resolver.card_key: the code's id, the
  facility's id and version, its area's version), without loading the facility or rendering anything;
- a first scan renders the card once per (code, facility version, area version, language, day, mount point)
  and process, and keeps the HTML in a small LRU: a facility edit bumps its version, so a stale card is
  never served from it;
- the scan itself is logged by the page's beacon (POST /scan/beacon), not when the page is sent: a link
  prefetcher (WeChat's) or a 304 logs nothing, and the page can be served from caches.

The beacon carries a token signed here that names the code, the facility and the day the page was made: it
cannot be forged for another code, and it expires (BEACON_TOKEN_DAYS). The day is part of the ETag, so a
phone that keeps the page revalidates to a fresh token once a day.
"""
import base64
import hashlib
import hmac
import threading
from collections import OrderedDict
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from ... import clock
from ..identity.resolver import CardKey

# A token made on day D is accepted on D and the day after: a page opened before midnight may send its
# beacon after it.
BEACON_TOKEN_DAYS = 1


class RenderCache:
    """A small bounded LRU of rendered cards. Shared by the threads of a process (a lock around a dict
    operation or two); each process has its own."""

    def __init__(self, size: int):
        self.size = size
        self._pages: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> str | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key, page: str) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def cache() -> RenderCache:
    return current_app.extensions["scan_card_cache"]


def today() -> int:
    """The district's date by the application's clock, as a day number."""
    return clock.now().astimezone(_zone()).toordinal()


def _zone() -> ZoneInfo:
    zone = current_app.extensions.get("scan_card_zone")
    if zone is None:
        zone = current_app.extensions["scan_card_zone"] = ZoneInfo(current_app.config["TIMEZONE"])
    return zone


def etag(key: CardKey, locale: str, day: int, script_root: str) -> str:
    """A strong validator of everything the card's HTML depends on: the database's part (key), the
    language, the day (the beacon token in the page), the mount point (its links) and the build (templates,
    static files, catalogues, the hotline)."""
    text = f"{build_id()}|{key.code_id}|{key.code}|{key.asset_id}|{key.version}|{key.area_version}|" \
           f"{locale}|{day}|{script_root}"
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def build_id() -> str:
    """A digest of what the card is made from besides the database, once per process: a deployment of new
    templates, static files or translations changes every ETag, so no phone keeps an old page."""
    found = current_app.extensions.get("scan_card_build")
    if found is None:
        digest = hashlib.blake2b(digest_size=8)
        folders = [Path(current_app.template_folder), Path(current_app.static_folder),
                   Path(__file__).resolve().parents[2] / "translations"]
        for folder in folders:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix in (".html", ".css", ".js", ".mo"):
                    digest.update(str(path.relative_to(folder)).encode())
                    digest.update(path.read_bytes())
        digest.update(str(current_app.config["HOTLINE"]).encode())
        found = current_app.extensions["scan_card_build"] = digest.hexdigest()
    return found


def _key() -> bytes:
    """The beacon tokens' HMAC key, derived once per process from the secret key."""
    key = current_app.extensions.get("scan_beacon_key")
    if key is None:
        secret = current_app.config["SECRET_KEY"]
        secret = secret.encode() if isinstance(secret, str) else secret
        key = current_app.extensions["scan_beacon_key"] = hmac.new(secret, b"scan-beacon", hashlib.sha256).digest()
    return key


def _signature(value: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(_key(), value.encode(), hashlib.sha256).digest()[:18]).decode()


def beacon_token(code_id: int, code: str, asset_id: int | None, day: int) -> str:
    """A token naming the scanned code (its id and text), its facility and the day the page was made,
    signed with an HMAC of the secret key (one hash: a token is made on every render)."""
    value = f"{code_id}.{code}.{asset_id or ''}.{day}"
    return f"{value}.{_signature(value)}"


class BadToken(ValueError):
    """The token was not signed here, or is too old."""


def read_beacon_token(token: str, day: int) -> tuple[int, str, int | None]:
    """(code id, code, facility id or None) named by a token that is genuine and not expired."""
    value, _dot, signature = token.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _signature(value).encode()):
        raise BadToken("not genuine")
    try:
        code_id, code, asset_id, made = value.split(".")
        code_id, asset_id, made = int(code_id), int(asset_id) if asset_id else None, int(made)
    except ValueError:
        raise BadToken("not genuine") from None
    if not day - BEACON_TOKEN_DAYS <= made <= day:
        raise BadToken("expired")
    return code_id, code, asset_id


def init_app(app) -> None:
    app.extensions["scan_card_cache"] = RenderCache(int(app.config["SCAN_CARD_CACHE_SIZE"]))
