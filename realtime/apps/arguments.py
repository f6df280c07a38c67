"""The command line's value types (argparse `type=` callables), shared by every command."""

from __future__ import annotations

import argparse
import math


def finite_float(text: str) -> float:
    """argparse type: a finite number (not nan, not inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def roll_setting(text: str) -> float | None:
    """argparse type: 'auto' (None) or a roll in degrees within ±45."""
    if text.strip().lower() == "auto":
        return None
    value = finite_float(text)
    if abs(value) > 45:
        raise argparse.ArgumentTypeError(f"a camera roll of {text}° is not a side view; give -45..45 or auto")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def unit_float(text: str) -> float:
    """argparse type: a number in [0, 1]."""
    value = finite_float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value

