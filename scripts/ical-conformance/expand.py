#!/usr/bin/env python3
"""Python side of convene's iCalendar conformance harness.

Reads an .ics file the way Python calendar software does -- with the PyPI packages
``icalendar`` and ``recurring-ical-events`` -- and prints one JSON document on stdout with
the occurrences expanded in [FROM 00:00, TO 00:00) (local dates in each event's own time
zone), every problem found, and a few calendar properties, so that convene's Rust tests can
compare them with convene's own schedule.  Run it through ``./expand python FILE FROM TO``,
which installs the pinned packages (requirements.txt) into a venv first.

``errors`` holds what icalendar reported per component (properties it could not parse), TZIDs
without a VTIMEZONE in the file, VTIMEZONEs whose offsets differ from the tz database at an
expanded time (icalendar itself uses the tz database, not the VTIMEZONE), lines longer than
75 octets, lines not ending in CRLF, folds inside a multi-octet UTF-8 character, and failures
of the recurrence expansion.

Exit 0 when the file parsed (even with errors), 1 with a message on stderr when it did not.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import zoneinfo
from importlib.metadata import version

import icalendar
import recurring_ical_events

# At most this many line-level problems of one kind are listed one by one.
MAX_LINE_ERRORS = 20

TIME_PROPERTIES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "RDATE")


def fail(message: str) -> None:
    print(f"expand.py: {message}", file=sys.stderr)
    sys.exit(1)


def check_lines(raw: bytes) -> list[str]:
    """Problems with the physical lines of the file (RFC 5545 section 3.1)."""
    kinds: dict[str, list[str]] = {"crlf": [], "long": [], "utf8": []}
    pieces = raw.split(b"\n")
    # raw ending in "\n" gives a last, empty piece that is not a line
    if pieces and pieces[-1] == b"":
        pieces.pop()
        terminated = len(pieces)
    else:
        terminated = len(pieces) - 1
    lines = []
    for index, piece in enumerate(pieces):
        number = index + 1
        if index >= terminated:
            kinds["crlf"].append(f"line {number}: does not end in CRLF (no line break at the end of the file)")
            content = piece
        elif not piece.endswith(b"\r"):
            kinds["crlf"].append(f"line {number}: does not end in CRLF (bare LF)")
            content = piece
        else:
            content = piece[:-1]
        if len(content) > 75:
            kinds["long"].append(f"line {number}: {len(content)} octets, longer than 75 (not folded)")
        lines.append(content)
    # Group physical lines into logical (unfolded) lines to tell a fold inside a UTF-8
    # sequence from plain invalid UTF-8.
    logical: list[list[int]] = []
    for index, content in enumerate(lines):
        if content[:1] in (b" ", b"\t") and logical:
            logical[-1].append(index)
        else:
            logical.append([index])
    for group in logical:
        unfolded = lines[group[0]] + b"".join(lines[i][1:] for i in group[1:])
        try:
            unfolded.decode("utf-8")
            whole_ok = True
        except UnicodeDecodeError:
            whole_ok = False
        for i in group:
            try:
                lines[i].decode("utf-8")
            except UnicodeDecodeError:
                if whole_ok:
                    kinds["utf8"].append(
                        f"line {i + 1}: folded inside a multi-octet UTF-8 character"
                    )
                else:
                    kinds["utf8"].append(f"line {i + 1}: not valid UTF-8")
    errors = []
    for found in kinds.values():
        errors.extend(found[:MAX_LINE_ERRORS])
        if len(found) > MAX_LINE_ERRORS:
            errors.append(f"... and {len(found) - MAX_LINE_ERRORS} more lines like that")
    return errors


def where(component) -> str:
    uid = component.get("UID")
    return f"{component.name} {uid}" if uid is not None else component.name


def property_values(component, name: str) -> list:
    value = component.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def component_errors(cal) -> list[str]:
    errors = []
    for component in cal.walk():
        for name, message in component.errors:
            errors.append(f"{where(component)}: {name}: {message}")
    return errors


def missing_tzids(cal, tzids: list[str]) -> list[str]:
    errors = []
    for component in cal.walk():
        if component.name in ("VTIMEZONE", "STANDARD", "DAYLIGHT"):
            continue
        for name in TIME_PROPERTIES:
            for value in property_values(component, name):
                params = getattr(value, "params", None) or {}
                tzid = params.get("TZID")
                if tzid is not None and str(tzid) not in tzids:
                    errors.append(
                        f"{where(component)}: {name}: missing TZID {tzid} "
                        "(no VTIMEZONE with this TZID in the file)"
                    )
    return errors


def fmt_offset(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def fmt(value) -> str | None:
    """ISO 8601: a date, a floating date-time, or a date-time with its UTC offset."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def sort_key(value) -> float:
    """The instant; floating times and dates count as UTC (ical.js does the same)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp()
    return 0.0


def text(component, name: str) -> str | None:
    value = component.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0]
    return str(value)


def occurrence_end(component, start):
    end = component.get("DTEND")
    if end is not None and hasattr(end, "dt"):
        return end.dt
    duration = component.get("DURATION")
    if duration is not None and hasattr(duration, "dt"):
        if isinstance(duration.dt, dt.timedelta):
            return start + duration.dt
        return duration.dt
    # RFC 5545 3.6.1: a date lasts one day, a date-time no time at all
    if isinstance(start, dt.datetime):
        return start
    return start + dt.timedelta(days=1)


class TimezoneCheck:
    """Compares the file's VTIMEZONEs with the tz database icalendar uses instead."""

    def __init__(self, cal):
        self.zones = {}
        self.errors: list[str] = []
        self.mismatches: dict[str, list] = {}
        for vtimezone in cal.walk("VTIMEZONE"):
            tzid = str(vtimezone.get("TZID"))
            try:
                self.zones[tzid] = vtimezone.to_tz(lookup_tzid=False)
            except Exception as error:  # noqa: BLE001 - reported, not fatal
                self.errors.append(f"VTIMEZONE {tzid}: cannot be turned into a time zone: {error}")

    def check(self, value) -> None:
        if not isinstance(value, dt.datetime) or not isinstance(value.tzinfo, zoneinfo.ZoneInfo):
            return
        tzid = value.tzinfo.key
        zone = self.zones.get(tzid)
        if zone is None:
            return
        local = value.replace(tzinfo=None)
        in_file = local.replace(tzinfo=zone).utcoffset()
        in_tzdb = value.utcoffset()
        if in_file != in_tzdb:
            self.mismatches.setdefault(tzid, []).append((local, in_file, in_tzdb))

    def report(self) -> list[str]:
        errors = list(self.errors)
        for tzid, found in self.mismatches.items():
            local, in_file, in_tzdb = min(found)
            errors.append(
                f"VTIMEZONE {tzid}: its UTC offset differs from the tz database's at "
                f"{len(found)} expanded time(s), first at {local.isoformat()}: "
                f"{fmt_offset(in_file)} in the file, {fmt_offset(in_tzdb)} in the tz database "
                "(icalendar uses the tz database, ical.js the VTIMEZONE)"
            )
        return errors


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        fail("usage: expand.py FILE.ics FROM TO   (dates as YYYY-MM-DD)")
    _, path, from_text, to_text = argv
    try:
        start = dt.date.fromisoformat(from_text)
        stop = dt.date.fromisoformat(to_text)
    except ValueError as error:
        fail(f"bad date: {error}")
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        fail(f"cannot read {path}: {error}")

    errors = check_lines(raw)
    try:
        cal = icalendar.Calendar.from_ical(raw)
    except Exception as error:  # noqa: BLE001 - any failure means "did not parse"
        fail(f"icalendar could not parse {path}: {type(error).__name__}: {error}")
    if isinstance(cal, list) or cal.name != "VCALENDAR":
        fail(f"{path} does not hold exactly one VCALENDAR")

    tzids = [str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")]
    errors += component_errors(cal)
    errors += missing_tzids(cal, tzids)

    # Which UIDs form series: only their occurrences get a recurrence_id (recurring-ical-events
    # sets RECURRENCE-ID = DTSTART on every occurrence, even of single events).
    series_uids = set()
    master_zone = {}
    for event in cal.walk("VEVENT"):
        uid = text(event, "UID")
        if "RECURRENCE-ID" in event:
            series_uids.add(uid)
        elif "RRULE" in event or "RDATE" in event:
            series_uids.add(uid)
            dtstart = event.get("DTSTART")
            if dtstart is not None and isinstance(getattr(dtstart, "dt", None), dt.datetime):
                master_zone[uid] = dtstart.dt.tzinfo

    # Naive midnights: recurring-ical-events reads them in each event's own time zone.  (Plain
    # dates would select by calendar day instead, dropping e.g. an event from 23:00 to 01:00
    # that overlaps the span's first hour.)
    start = dt.datetime.combine(start, dt.time())
    stop = dt.datetime.combine(stop, dt.time())
    try:
        components = recurring_ical_events.of(cal).between(start, stop)
    except Exception as error:  # noqa: BLE001
        errors.append(
            f"recurring-ical-events: {type(error).__name__}: {error} "
            "(expanded again, skipping the series with errors)"
        )
        try:
            components = recurring_ical_events.of(cal, skip_bad_series=True).between(start, stop)
        except Exception as again:  # noqa: BLE001
            fail(f"recurring-ical-events could not expand {path}: {type(again).__name__}: {again}")

    zone_check = TimezoneCheck(cal)
    occurrences = []
    for component in components:
        uid = text(component, "UID")
        begin = component["DTSTART"].dt
        end = occurrence_end(component, begin)
        recurrence_id = None
        if uid in series_uids and component.get("RECURRENCE-ID") is not None:
            recurrence_id = component["RECURRENCE-ID"].dt
            zone = master_zone.get(uid)
            if (
                zone is not None
                and isinstance(recurrence_id, dt.datetime)
                and recurrence_id.tzinfo is not None
            ):
                recurrence_id = recurrence_id.astimezone(zone)
        for value in (begin, end):
            zone_check.check(value)
        occurrences.append(
            (
                (sort_key(begin), uid or ""),
                {
                    "uid": uid,
                    "start": fmt(begin),
                    "end": fmt(end),
                    "summary": text(component, "SUMMARY"),
                    "recurrence_id": fmt(recurrence_id),
                    "location": text(component, "LOCATION"),
                    "description": text(component, "DESCRIPTION"),
                },
            )
        )
    occurrences.sort(key=lambda pair: pair[0])
    errors += zone_check.report()

    document = {
        "occurrences": [occurrence for _, occurrence in occurrences],
        "errors": list(dict.fromkeys(errors)),
        "calendar": {
            "method": text(cal, "METHOD"),
            "x_wr_calname": text(cal, "X-WR-CALNAME"),
            "x_wr_timezone": text(cal, "X-WR-TIMEZONE"),
            "timezones": tzids,
        },
        "parser": {
            "name": "python",
            "icalendar": version("icalendar"),
            "recurring-ical-events": version("recurring-ical-events"),
        },
    }
    # Compact, like JSON.stringify on the icaljs side: same occurrences give the same bytes.
    output = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.buffer.write(output.encode("utf-8") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
