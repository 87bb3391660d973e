"""A recipient's time zone, for everything that follows their wall clock (quiet hours, a
campaign sent "at 09:00 local"): one rule, so that "their local time" means the same thing
everywhere.

1. the profile field `time_zone` (`f_time_zone`) when it holds an IANA name this machine knows
   (`America/New_York`);
2. else the profile field `country` (`f_country`), an ISO 3166 alpha-2 code (`FR`, `jp`),
   when that country has one zone (`COUNTRY_ZONES`; a country spanning several, such as the
   US, Canada, Brazil, Russia, Australia or Spain with the Canaries, is not guessed);
3. else the account's default zone (the send policy's `time_zone`), else UTC.

A zone is only ever looked up by a name of the IANA shape (never a path).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZONE_FIELD, COUNTRY_FIELD = "f_time_zone", "f_country"
ATTRIBUTES = (ZONE_FIELD, COUNTRY_FIELD)  # what a sender reads of a contact to know its zone

_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,29}(/[A-Za-z0-9_+-]{1,30}){0,2}$")

# Countries with one zone (docs/design/sending-policy.md lists them for marketers).
COUNTRY_ZONES = {
    "AE": "Asia/Dubai", "AR": "America/Argentina/Buenos_Aires", "AT": "Europe/Vienna",
    "BD": "Asia/Dhaka", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "CH": "Europe/Zurich",
    "CN": "Asia/Shanghai", "CO": "America/Bogota", "CR": "America/Costa_Rica",
    "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn", "EG": "Africa/Cairo", "FI": "Europe/Helsinki", "FR": "Europe/Paris",
    "GB": "Europe/London", "GR": "Europe/Athens", "GT": "America/Guatemala",
    "HK": "Asia/Hong_Kong", "HR": "Europe/Zagreb", "HU": "Europe/Budapest", "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem", "IN": "Asia/Kolkata", "IS": "Atlantic/Reykjavik", "IT": "Europe/Rome",
    "JM": "America/Jamaica", "JP": "Asia/Tokyo", "KE": "Africa/Nairobi", "KR": "Asia/Seoul",
    "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga",
    "MA": "Africa/Casablanca", "NG": "Africa/Lagos", "NL": "Europe/Amsterdam", "NO": "Europe/Oslo",
    "PE": "America/Lima", "PH": "Asia/Manila", "PK": "Asia/Karachi", "PL": "Europe/Warsaw",
    "RO": "Europe/Bucharest", "SA": "Asia/Riyadh", "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore", "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava",
    "TH": "Asia/Bangkok", "TR": "Europe/Istanbul", "TW": "Asia/Taipei",
    "UY": "America/Montevideo", "VE": "America/Caracas", "VN": "Asia/Ho_Chi_Minh",
    "ZA": "Africa/Johannesburg",
}  # fmt: skip


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    """The zone of an IANA name, None for anything else (a typo, a path, a zone unknown here)."""
    if not isinstance(name, str) or not _ZONE_NAME.match(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def of_country(code: object) -> ZoneInfo | None:
    """The zone of a single-zone country's ISO code (any case), None otherwise."""
    if not isinstance(code, str) or len(code.strip()) != 2:
        return None
    name = COUNTRY_ZONES.get(code.strip().upper())
    return zone(name) if name else None


def zone_of(contact: Mapping[str, Any] | None, default: str) -> ZoneInfo:
    """The contact's zone (its own, else its country's), else `default`, else UTC."""
    person = contact or {}
    own = person.get(ZONE_FIELD)
    found = zone(own) if isinstance(own, str) else None
    return found or of_country(person.get(COUNTRY_FIELD)) or zone(default) or ZoneInfo("UTC")
