"""The application's clock: every "now" and "today" outside pure code is read here.

One clock per application, in `app.extensions["clock"]`. It reads the real time unless it has been set:
tests set it (the `clock` fixture), and so can a training or demo installation through the `CLOCK`
setting. A set clock runs on from the moment it was set, at real speed, unless it is frozen, so code
that orders things by time still sees time pass. Pure modules never call it: they take "now" as an
argument.
"""
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


class Clock:
    def __init__(self) -> None:
        self._anchor: datetime | None = None
        self._anchored_at = 0.0
        self._frozen = False

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        if self._anchor is None:
            return datetime.now(timezone.utc)
        if self._frozen:
            return self._anchor
        return self._anchor + timedelta(seconds=time.monotonic() - self._anchored_at)

    def set(self, at: datetime, *, frozen: bool = False) -> None:
        """From now on the clock reads `at`, running on from there unless `frozen`."""
        if at.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._anchor, self._anchored_at, self._frozen = at.astimezone(timezone.utc), time.monotonic(), frozen

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta, frozen=self._frozen)

    def reset(self) -> None:
        """Back to the real time."""
        self._anchor, self._frozen = None, False

    @property
    def is_set(self) -> bool:
        return self._anchor is not None


def parse_setting(text: str, tz: ZoneInfo) -> datetime:
    """The `CLOCK` setting: an ISO date or time; without an offset it is the district's local time."""
    at = datetime.fromisoformat(text.strip())
    return at if at.tzinfo else at.replace(tzinfo=tz)


def init_app(app) -> None:
    clock = Clock()
    if app.config.get("CLOCK"):
        clock.set(parse_setting(str(app.config["CLOCK"]), ZoneInfo(app.config["TIMEZONE"])))
    app.extensions["clock"] = clock


# Outside an application (a pure helper called from a script) there is only the real time.
_REAL = Clock()


def current() -> Clock:
    return current_app.extensions["clock"] if has_app_context() else _REAL


def now() -> datetime:
    """The application's current time, aware, in UTC."""
    return current().now()


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"]) if has_app_context() else ZoneInfo("Asia/Shanghai")


def local_now() -> datetime:
    """The application's current time in the district's time zone."""
    return now().astimezone(zone())


def today() -> date:
    """The district's local date by the application's clock."""
    return local_now().date()
