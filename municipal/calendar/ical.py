"""iCalendar (RFC 5545) text for a calendar feed. Pure: plain values in, text out; the caller passes the clock.

Each event keeps the UID of its calendar item, so a client refreshing the feed updates the event it has
instead of adding a second one; its SEQUENCE rises and its LAST-MODIFIED moves each time what the event says
changes, and stays put otherwise, so a client knows which copy is newer and leaves an unchanged one alone.
DTSTAMP is the moment the feed was written, as RFC 5545 asks of an object with a METHOD. Items due on a day are all-day events on that local date; items due at a
moment (the hours of a manhole's SLA) are timed, in the district's zone with its VTIMEZONE.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

LINE_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    description: str
    day: date
    at: datetime | None = None  # aware; None for an all-day item
    cancelled: bool = False
    url: str = ""
    # Raised, and `modified` moved, whenever the event's text, times or status change.
    sequence: int = 0
    modified: datetime | None = None


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets, split between characters (never inside one UTF-8 sequence), each
    continuation starting with a space (§3.1)."""
    if len(line.encode()) <= LINE_OCTETS:
        return line
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        limit = LINE_OCTETS if not parts else LINE_OCTETS - 1
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _fixed_offset(zone: ZoneInfo, moments: list[datetime]) -> timedelta | None:
    """The zone's one UTC offset at every moment, or None if it changes among them (summer time)."""
    offsets = {moment.astimezone(zone).utcoffset() for moment in moments}
    return offsets.pop() if len(offsets) == 1 else None


def _vtimezone(name: str, zone: ZoneInfo, offset: timedelta, sample: datetime) -> list[str]:
    return ["BEGIN:VTIMEZONE", f"TZID:{name}", "BEGIN:STANDARD", "DTSTART:19700101T000000",
            f"TZOFFSETFROM:{_offset(offset)}", f"TZOFFSETTO:{_offset(offset)}",
            f"TZNAME:{sample.astimezone(zone).tzname()}", "END:STANDARD", "END:VTIMEZONE"]


def calendar(events: list[Event], *, name: str, zone_name: str, now: datetime,
             product: str = "-//municipal//inspection calendar//ZH") -> str:
    """The VCALENDAR text, CRLF line ends and all."""
    zone = ZoneInfo(zone_name)
    moments = [event.at for event in events if event.at is not None]
    # A zone whose offset changes within the feed would need its whole rule set; UTC times say the same.
    offset = _fixed_offset(zone, moments) if moments else None
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{product}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(name)}", f"X-WR-TIMEZONE:{zone_name}",
             "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"]
    if offset is not None:
        lines += _vtimezone(zone_name, zone, offset, moments[0])
    stamp = _stamp(now)
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{stamp}", f"SEQUENCE:{event.sequence}"]
        if event.modified is not None:
            lines.append(f"LAST-MODIFIED:{_stamp(event.modified)}")
        if event.at is None:
            lines += [f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
                      f"DTEND;VALUE=DATE:{event.day + timedelta(days=1):%Y%m%d}", "TRANSP:TRANSPARENT"]
        elif offset is not None:
            lines.append(f"DTSTART;TZID={zone_name}:{event.at.astimezone(zone):%Y%m%dT%H%M%S}")
        else:
            lines.append(f"DTSTART:{_stamp(event.at)}")
        lines += [f"SUMMARY:{escape(event.summary)}", f"DESCRIPTION:{escape(event.description)}",
                  f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}"]
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return CRLF.join(fold(line) for line in lines) + CRLF
