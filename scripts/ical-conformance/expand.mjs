// JavaScript side of convene's iCalendar conformance harness.
//
// Reads an .ics file with Mozilla's ical.js (the parser Thunderbird uses) and prints one JSON
// document on stdout with the occurrences expanded in [FROM 00:00, TO 00:00) (local dates in
// each event's own time zone), every problem found, and a few calendar properties, so that
// convene's Rust tests can compare them with convene's own schedule and with the Python side
// (expand.py).  Run it through `./expand icaljs FILE FROM TO`, which installs the pinned ical.js
// (package.json + package-lock.json) with `npm ci` outside the repo and passes its location in
// CONVENE_ICAL_NODE_DIR.
//
// The file's VTIMEZONEs are registered with ICAL.TimezoneService and every UTC offset printed
// comes from them (ical.js's own time zone code, never the system's).  Series are expanded with
// ICAL.Event#iterator and #getOccurrenceDetails, their RECURRENCE-ID overrides related with
// #relateException (same UID only).  "errors" holds what ical.js threw per component and
// property, TZIDs without a VTIMEZONE in the file, overrides and EXDATEs that match no
// occurrence (ical.js drops the former silently and may then skip the next EXDATE after the
// latter), and input that is not valid UTF-8.
//
// Exit 0 when the file parsed (even with errors), 1 with a message on stderr when it did not.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// Upper bound on occurrences walked per series, against runaway rules.
const MAX_ITERATIONS = 200000;
const TIME_PROPERTIES = ["dtstart", "dtend", "due", "recurrence-id", "exdate", "rdate"];

function fail(message) {
  process.stderr.write(`expand.mjs: ${message}\n`);
  process.exit(1);
}

async function loadIcal() {
  const nodeDir = process.env.CONVENE_ICAL_NODE_DIR;
  if (!nodeDir) fail("CONVENE_ICAL_NODE_DIR is not set (run this through ./expand icaljs)");
  const packageDir = join(nodeDir, "node_modules", "ical.js");
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const entry = manifest.exports?.import ?? manifest.main;
  const module = await import(pathToFileURL(join(packageDir, entry)).href);
  return { ICAL: module.default, version: manifest.version };
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

function fmtOffset(seconds) {
  const sign = seconds < 0 ? "-" : "+";
  const minutes = Math.floor(Math.abs(seconds) / 60);
  return `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

function main(ICAL, icalVersion) {
  const args = process.argv.slice(2);
  if (args.length !== 3) fail("usage: expand.mjs FILE.ics FROM TO   (dates as YYYY-MM-DD)");
  const [path, fromText, toText] = args;
  const parseDate = (value) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!m) fail(`bad date: ${value}`);
    return { year: +m[1], month: +m[2], day: +m[3] };
  };
  const from = parseDate(fromText);
  const to = parseDate(toText);

  const errors = [];
  let raw;
  try {
    raw = readFileSync(path);
  } catch (error) {
    fail(`cannot read ${path}: ${error.message}`);
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    // A client reading the feed as text gets U+FFFD here; ical.js never sees the bytes.
    text = new TextDecoder("utf-8").decode(raw);
    errors.push(
      "the file is not valid UTF-8 (a multi-octet character folded apart?); " +
        "decoded with U+FFFD replacement characters, as a client reading it as text would",
    );
  }

  let jcal;
  try {
    jcal = ICAL.parse(text);
  } catch (error) {
    fail(`ical.js could not parse ${path}: ${error.name}: ${error.message}`);
  }
  if (Array.isArray(jcal) && Array.isArray(jcal[0])) {
    if (jcal.length !== 1) fail(`${path} does not hold exactly one VCALENDAR`);
    jcal = jcal[0];
  }
  const root = new ICAL.Component(jcal);
  if (root.name !== "vcalendar") fail(`${path} does not hold a VCALENDAR`);

  const where = (component) => {
    let uid = null;
    try {
      uid = component.getFirstPropertyValue("uid");
    } catch {
      // reported with the properties below
    }
    return uid ? `${component.name.toUpperCase()} ${uid}` : component.name.toUpperCase();
  };

  // The file's time zones, registered so that every TZID resolves to the file's definition.
  const tzids = [];
  for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
    const tzid = vtimezone.getFirstPropertyValue("tzid");
    tzids.push(tzid);
    try {
      ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
    } catch (error) {
      errors.push(`VTIMEZONE ${tzid}: ${error.message}`);
    }
  }

  // Decode every property of every component: what ical.js throws is what it cannot read.
  const walk = (component) => {
    const inZone = ["vtimezone", "standard", "daylight"].includes(component.name);
    for (const property of component.getAllProperties()) {
      try {
        property.getValues();
      } catch (error) {
        errors.push(`${where(component)}: ${property.name.toUpperCase()}: ${error.message}`);
      }
      const tzid = property.getParameter("tzid");
      if (!inZone && tzid && TIME_PROPERTIES.includes(property.name) && !tzids.includes(tzid)) {
        errors.push(
          `${where(component)}: ${property.name.toUpperCase()}: missing TZID ${tzid} ` +
            "(no VTIMEZONE with this TZID in the file; ical.js treats the time as floating)",
        );
      }
    }
    component.getAllSubcomponents().forEach(walk);
  };
  walk(root);

  // The span in the zone of a given time: [from 00:00, to 00:00) local.
  const spanIn = (time) => {
    const make = (d) =>
      time.isDate
        ? new ICAL.Time({ ...d, isDate: true })
        : new ICAL.Time({ ...d, hour: 0, minute: 0, second: 0, isDate: false }, time.zone);
    return [make(from), make(to)];
  };
  // Same rule as recurring-ical-events: starts inclusive, stops exclusive, an event without
  // duration is in the span when its start is.
  const overlaps = (start, end) => {
    const [spanStart, spanEnd] = spanIn(start);
    if (start.compare(end) === 0) {
      return spanStart.compare(start) <= 0 && start.compare(spanEnd) < 0;
    }
    return start.compare(spanEnd) < 0 && spanStart.compare(end) < 0;
  };

  const fmt = (time) => {
    if (!time) return null;
    const date = `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}`;
    if (time.isDate) return date;
    const local = `${date}T${pad(time.hour)}:${pad(time.minute)}:${pad(time.second)}`;
    if (!time.zone || time.zone === ICAL.Timezone.localTimezone || time.zone.tzid === "floating") {
      return local;
    }
    return local + fmtOffset(time.utcOffset());
  };

  const occurrences = [];
  const add = (uid, item, start, end, recurrenceId) => {
    occurrences.push({
      key: [start.toUnixTime(), uid ?? ""],
      value: {
        uid,
        start: fmt(start),
        end: fmt(end),
        summary: item.summary ?? null,
        recurrence_id: fmt(recurrenceId),
        location: item.location ?? null,
        description: item.description ?? null,
      },
    });
  };

  // EXDATEs that match no occurrence of the series.  ical.js checks each generated occurrence
  // against one EXDATE at a time and moves on by one, so an EXDATE that matches nothing makes
  // it miss a following EXDATE that falls on the very next occurrence.  Matching follows
  // ical.js: a DATE excludes the occurrences on that local day, a DATE-TIME the same instant.
  const checkExdates = (vevent, event) => {
    const exdates = vevent.getAllProperties("exdate").flatMap((property) => property.getValues());
    if (!exdates.length) return;
    const bare = new ICAL.Component(vevent.toJSON());
    bare.parent = vevent.parent;
    bare.removeAllProperties("exdate");
    const last = exdates.reduce((a, b) => (b.compare(a) > 0 ? b : a));
    const expansion = new ICAL.RecurExpansion({ component: bare, dtstart: event.startDate });
    const instants = new Set();
    const days = new Set();
    let count = 0;
    for (let next = expansion.next(); next && ++count <= MAX_ITERATIONS; next = expansion.next()) {
      instants.add(next.toUnixTime());
      days.add(`${next.year}-${next.month}-${next.day}`);
      if (next.compare(last) > 0) break;
    }
    for (const exdate of exdates) {
      const matched = exdate.isDate
        ? days.has(`${exdate.year}-${exdate.month}-${exdate.day}`)
        : instants.has(exdate.toUnixTime());
      if (!matched) {
        errors.push(
          `${where(vevent)}: EXDATE ${fmt(exdate)} matches no occurrence of the series ` +
            "(ical.js then misses a following EXDATE on the next occurrence)",
        );
      }
    }
  };

  // Masters and their RECURRENCE-ID overrides, by UID.
  const masters = [];
  const overrides = new Map();
  for (const vevent of root.getAllSubcomponents("vevent")) {
    const uid = vevent.getFirstPropertyValue("uid");
    if (vevent.hasProperty("recurrence-id")) {
      if (!overrides.has(uid)) overrides.set(uid, []);
      overrides.get(uid).push(vevent);
    } else {
      masters.push(vevent);
    }
  }
  const masterUids = new Set(masters.map((vevent) => vevent.getFirstPropertyValue("uid")));

  for (const vevent of masters) {
    const uid = vevent.getFirstPropertyValue("uid");
    try {
      // exceptions: [] keeps ical.js from relating every RECURRENCE-ID in the calendar,
      // whatever its UID; only this UID's overrides are related below.
      const event = new ICAL.Event(vevent, { strictExceptions: true, exceptions: [] });
      for (const override of overrides.get(uid) ?? []) {
        try {
          event.relateException(override);
        } catch (error) {
          errors.push(`${where(override)}: RECURRENCE-ID: ical.js could not relate it: ${error.message}`);
        }
      }
      const related = Object.values(event.exceptions);
      if (!event.isRecurring()) {
        if (related.length) {
          errors.push(`${where(vevent)}: has RECURRENCE-ID overrides but neither RRULE nor RDATE`);
        }
        if (overlaps(event.startDate, event.endDate)) {
          add(uid, event, event.startDate, event.endDate, null);
        }
        continue;
      }
      // Walk from DTSTART until past the span and past every override's RECURRENCE-ID (an
      // override may move a later occurrence into the span).
      let lastOverride = null;
      for (const exception of related) {
        if (!lastOverride || exception.recurrenceId.compare(lastOverride) > 0) {
          lastOverride = exception.recurrenceId;
        }
      }
      const used = new Set();
      const iterator = event.iterator();
      let count = 0;
      for (let next = iterator.next(); next; next = iterator.next()) {
        if (++count > MAX_ITERATIONS) {
          errors.push(`${where(vevent)}: stopped expanding after ${MAX_ITERATIONS} occurrences`);
          break;
        }
        const [, spanEnd] = spanIn(next);
        if (next.compare(spanEnd) >= 0 && (!lastOverride || next.compare(lastOverride) > 0)) {
          break;
        }
        const details = event.getOccurrenceDetails(next);
        if (details.item !== event) used.add(details.item);
        if (overlaps(details.startDate, details.endDate)) {
          add(uid, details.item, details.startDate, details.endDate, details.recurrenceId);
        }
      }
      for (const exception of related) {
        if (!used.has(exception) && count <= MAX_ITERATIONS) {
          errors.push(
            `${where(exception.component)}: RECURRENCE-ID ${fmt(exception.recurrenceId)} matches ` +
              "no occurrence of the series (excluded or not generated); ical.js ignores this override",
          );
        }
      }
      checkExdates(vevent, event);
    } catch (error) {
      errors.push(`${where(vevent)}: ical.js could not expand it: ${error.message}`);
    }
  }

  // Overrides without a master: shown as the single events they are.
  for (const [uid, list] of overrides) {
    if (masterUids.has(uid)) continue;
    for (const vevent of list) {
      try {
        const event = new ICAL.Event(vevent, { exceptions: [] });
        if (overlaps(event.startDate, event.endDate)) {
          add(uid, event, event.startDate, event.endDate, event.recurrenceId);
        }
      } catch (error) {
        errors.push(`${where(vevent)}: ical.js could not read it: ${error.message}`);
      }
    }
  }

  occurrences.sort((a, b) =>
    a.key[0] !== b.key[0] ? a.key[0] - b.key[0] : a.key[1] < b.key[1] ? -1 : a.key[1] > b.key[1] ? 1 : 0,
  );

  const calendarValue = (name) => {
    try {
      const value = root.getFirstPropertyValue(name);
      return value === null || value === undefined ? null : String(value);
    } catch {
      return null;
    }
  };
  const document = {
    occurrences: occurrences.map((o) => o.value),
    errors: [...new Set(errors)],
    calendar: {
      method: calendarValue("method"),
      x_wr_calname: calendarValue("x-wr-calname"),
      x_wr_timezone: calendarValue("x-wr-timezone"),
      timezones: tzids,
    },
    parser: { name: "icaljs", "ical.js": icalVersion },
  };
  process.stdout.write(JSON.stringify(document) + "\n");
}

const { ICAL, version } = await loadIcal();
main(ICAL, version);
