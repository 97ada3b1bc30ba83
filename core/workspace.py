"""The workspace's time zone: the dates of timestamps (kpi-spec section 1) are local to it."""

import zoneinfo
from functools import cache

from django.conf import settings


@cache
def workspace_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)
