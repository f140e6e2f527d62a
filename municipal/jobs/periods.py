"""Which period of a job a moment falls in, named by a key that sorts in time order. Pure.

A key is what the claim table makes unique, so it must not depend on when or where a run happens:
slots are counted in UTC (no daylight-saving ambiguity), days are the district's local dates.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

SLOT_FORMAT = "%Y-%m-%dT%H:%MZ"


@dataclass(frozen=True)
class Slot:
    """Slots of `minutes` from midnight UTC, keyed by their start: "2026-11-26T02:15Z"."""

    minutes: int

    def __post_init__(self):
        if not 0 < self.minutes <= 60 or 60 % self.minutes:
            raise ValueError(f"a slot must divide the hour, not {self.minutes} minutes")

    def key(self, moment: datetime, tz: ZoneInfo) -> str:
        moment = moment.astimezone(timezone.utc)
        floored = moment.replace(minute=moment.minute - moment.minute % self.minutes, second=0, microsecond=0)
        return floored.strftime(SLOT_FORMAT)

    def start(self, key: str, tz: ZoneInfo) -> datetime:
        return datetime.strptime(key, SLOT_FORMAT).replace(tzinfo=timezone.utc)

    def before(self, key: str, tz: ZoneInfo) -> str:
        return self.key(self.start(key, tz) - timedelta(minutes=self.minutes), tz)

    def cron(self, tz: ZoneInfo) -> dict:
        return {"minute": f"*/{self.minutes}", "timezone": timezone.utc}


@dataclass(frozen=True)
class Day:
    """Local dates in the district's zone, keyed "2026-11-26"; the scheduler starts them at `at` local time."""

    at: time = time(0, 5)

    def key(self, moment: datetime, tz: ZoneInfo) -> str:
        return moment.astimezone(tz).date().isoformat()

    def start(self, key: str, tz: ZoneInfo) -> datetime:
        return datetime.combine(date.fromisoformat(key), time(), tz)

    def before(self, key: str, tz: ZoneInfo) -> str:
        return (date.fromisoformat(key) - timedelta(days=1)).isoformat()

    def cron(self, tz: ZoneInfo) -> dict:
        return {"hour": self.at.hour, "minute": self.at.minute, "timezone": tz}


def local_moment(text: str, tz: ZoneInfo) -> datetime:
    """"2026-11-26" (local midnight) or "2026-11-26T08:30" (local time) as an aware moment; ValueError otherwise."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def keys_between(cadence, after_key: str, until_key: str, tz: ZoneInfo) -> list[str]:
    """The keys after `after_key` up to and including `until_key`, oldest first."""
    keys = []
    key = until_key
    while key > after_key:
        keys.append(key)
        key = cadence.before(key, tz)
    return keys[::-1]
