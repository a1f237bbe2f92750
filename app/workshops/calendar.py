"""The werkplaatsen as an iCalendar (RFC 5545) feed, written by the `icalendar` package (which
folds lines at 75 octets, escapes text and ends lines with CRLF), in the shape Outlook, Google
Calendar and Apple Calendar read as a subscribed or imported calendar: a VCALENDAR with PRODID,
VERSION, CALSCALE, METHOD:PUBLISH and a name (X-WR-CALNAME), and one VEVENT per werkplaats
with a UID that never changes, its times in UTC, and a SEQUENCE that grows with every change,
so that a calendar replaces the event instead of adding a second one."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.responses import Response
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vDuration,
    vRecur,
)

from app.workshops.models import WorkshopStatus
from app.workshops.schemas import WorkshopRead

CALENDAR = "text/calendar"
PRODID = "-//Leergemeenschap//Leergemeenschap API//NL"
# The right-hand side of every event's UID: `<workshop id>@leergemeenschap`. The id is a UUID,
# unique on its own; the UID is the same in both feeds and whatever address served them.
UID_DOMAIN = "leergemeenschap"
ALL_NAME = "Werkplaatsen van de leergemeenschap"
MINE_NAME = "Mijn werkplaatsen"
# How often a subscribed calendar should look again (Outlook reads X-PUBLISHED-TTL, others
# REFRESH-INTERVAL, RFC 7986).
REFRESH = timedelta(hours=1)
CANCELLED_PREFIX = "Afgelast: "
TZID = "Europe/Amsterdam"


def _amsterdam() -> Timezone:
    """Europe/Amsterdam as Outlook itself describes it (EU summer time, since 1996). The
    events are in UTC; the zone tells a calendar where the community lives (X-WR-TIMEZONE),
    and keeps a feed without events a valid calendar (RFC 5545 wants one component)."""
    zone = Timezone()
    zone.add("tzid", TZID)
    for part, start, month, before, after, name in (
        (TimezoneDaylight(), datetime(1970, 3, 29, 2), 3, 1, 2, "CEST"),
        (TimezoneStandard(), datetime(1970, 10, 25, 3), 10, 2, 1, "CET"),
    ):
        part.add("dtstart", start)
        part.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": "-1SU"}))
        part.add("tzoffsetfrom", timedelta(hours=before))
        part.add("tzoffsetto", timedelta(hours=after))
        part.add("tzname", name)
        zone.add_component(part)
    return zone


class CalendarResponse(Response):
    """An iCalendar answer; Starlette adds `; charset=utf-8` to a text type."""

    media_type = CALENDAR


def uid(workshop: WorkshopRead) -> str:
    return f"{workshop['id']}@{UID_DOMAIN}"


def _event(workshop: WorkshopRead) -> Event:
    event = Event()
    event.add("uid", uid(workshop))
    # The moment the event's information was last revised, not the moment of the request:
    # the same werkplaats gives the same bytes in every answer (and from a restored backup),
    # and a calendar still sees a change by SEQUENCE and DTSTAMP.
    event.add("dtstamp", workshop["updatedAt"].replace(microsecond=0))
    event.add("created", workshop["createdAt"])
    event.add("last-modified", workshop["updatedAt"])
    # Every change of the workshop raises its version; RFC 5545 counts from 0.
    event.add("sequence", workshop["version"] - 1)
    event.add("dtstart", workshop["startsAt"])
    if workshop["endsAt"] is not None:
        event.add("dtend", workshop["endsAt"])
    cancelled = workshop["status"] == WorkshopStatus.CANCELLED
    title = workshop["title"]
    event.add("summary", CANCELLED_PREFIX + title if cancelled else title)
    if workshop["location"]:
        event.add("location", workshop["location"])
    if workshop["summary"]:
        event.add("description", workshop["summary"])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def feed(workshops: list[WorkshopRead], *, name: str) -> bytes:
    """The calendar of `workshops` (cancelled ones as STATUS:CANCELLED), as bytes to serve."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    calendar.add("x-published-ttl", vDuration(REFRESH))
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-wr-timezone", TZID)
    calendar.add_component(_amsterdam())
    for workshop in workshops:
        calendar.add_component(_event(workshop))
    return bytes(calendar.to_ical())
