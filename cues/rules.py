"""Cue rules as data: the TOML table shipped with the package, read into `CueRule`s."""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

from realtime.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class CueRule:
    """One coaching line and when to say it (see the comments in rules.toml)."""

    id: str
    text: str
    voice: str
    metric: str
    low: float | None = None
    high: float | None = None
    window_s: float = 1.5
    persistence_s: float = 1.0
    hysteresis_deg: float = 2.0
    cooldown_s: float = 20.0
    priority: int = 5

    def __post_init__(self) -> None:
        if self.low is None and self.high is None:
            raise ValueError(f"cue {self.id!r} needs a band: low, high or both")
        if min(self.window_s, self.persistence_s, self.cooldown_s, self.hysteresis_deg) < 0:
            raise ValueError(f"cue {self.id!r}: times and hysteresis must be >= 0")

    def outside(self, value: float) -> bool:
        """True when `value` is out of the good band."""
        return (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        )

    def back_inside(self, value: float) -> bool:
        """True when `value` is inside the band by at least the hysteresis."""
        low_ok = self.low is None or value >= self.low + self.hysteresis_deg
        high_ok = self.high is None or value <= self.high - self.hysteresis_deg
        return low_ok and high_ok


def default_rules_path() -> Path:
    """The rules.toml shipped inside the `cues` package."""
    return Path(str(resources.files("cues") / "rules.toml"))


def parse_rules(text: str, origin: str = "rules") -> list[CueRule]:
    """Parse a rules TOML document (a `[[cue]]` array) into rules, by priority."""
    known = {f.name for f in fields(CueRule)}
    try:
        table = tomllib.loads(text)
        rules = []
        for entry in table.get("cue", []):
            unknown = set(entry) - known
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)} in cue {entry.get('id')!r}")
            rules.append(CueRule(**entry))
    except (tomllib.TOMLDecodeError, TypeError, ValueError) as err:
        raise UserError(f"{origin}: cue rules are not valid ({err}) — fix the file or remove it") from err
    return sorted(rules, key=lambda r: r.priority)


def load_rules(path: Path | None = None) -> list[CueRule]:
    """Rules from `path`, or the shipped defaults."""
    path = path or default_rules_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(f"cannot read cue rules {path}: {err.strerror} — check the path") from err
    return parse_rules(text, str(path))
