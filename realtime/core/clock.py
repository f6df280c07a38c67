"""Seconds as the app shows them everywhere — screen, end screen, report — so one moment is
never "0:13" in one place and "0:14" in another."""

from __future__ import annotations

import math


def clock(seconds: float) -> str:
    """Seconds as m:ss, rounded to the nearest second ("0:14" for 13.8 s; "0:00" below 0.5 s)."""
    whole = max(0, round(seconds)) if math.isfinite(seconds) else 0
    return f"{whole // 60}:{whole % 60:02d}"
