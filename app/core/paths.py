"""Paths of the API that more than one part of it names: the route that serves it, and the
credential or answer that points to it. Defined once here, since domains of one layer do not
import each other."""

from __future__ import annotations

# A member's own werkplaatsen as iCalendar (app/workshops): the one path a calendar ticket
# (app/auth) opens, and the path in a calendar subscription's URL.
MY_WORKSHOPS_CALENDAR = "/v1/me/calendars/workshops.ics"
