"""Cue rules as data: the TOML table shipped with the package, read into dataclasses.

The shipped `cues/rules.toml` is the default; a `rules.toml` in the user's config
folder (or `--rules FILE`) overrides it cue by cue: an entry with a shipped id
replaces that cue, a new id adds one.
"""

from __future__ import annotations

import difflib
import math
import sys
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from realtime.analysis.stride_metrics import METRICS
from realtime.core.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


#: How each field type of the rules' dataclasses is checked, and how a wrong value is named.
_FIELD_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "str": (lambda v: isinstance(v, str), "text"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "float": (_is_number, "a finite number"),
    "float | None": (lambda v: v is None or _is_number(v), "a finite number"),
}


def check_field_types(obj: object) -> None:
    """ValueError naming the first field of the dataclass `obj` whose value has the wrong type."""
    for f in fields(obj):
        check = _FIELD_CHECKS.get(str(f.type))
        value = getattr(obj, f.name)
        if check is not None and not check[0](value):
            raise ValueError(f"{f.name} must be {check[1]}, got {value!r}")


@dataclass(frozen=True)
class Condition:
    """One metric out of its band: below `below` or above `above` (one of the two)."""

    metric: str
    below: float | None = None
    above: float | None = None
    hysteresis: float = 0.0
    baseline: bool = False
    #: With `baseline`: the difference in units of the runner's own stride-to-stride SD over
    #: the calibration (`baseline["spread"]`), so the border follows how finely this camera
    #: and clothing measure the metric.
    spreads: bool = False
    #: With `spreads`: the least spread used (the metric's units), so a runner measured very
    #: steadily is not cued for changes under what the lab can detect.
    min_spread: float = 0.0

    def __post_init__(self) -> None:
        check_field_types(self)
        if (self.below is None) == (self.above is None):
            raise ValueError(f"condition on {self.metric!r} needs exactly one of below / above")
        if self.spreads and not self.baseline:
            raise ValueError(f"condition on {self.metric!r}: spreads = true needs baseline = true")
        if self.min_spread < 0 or (self.min_spread and not self.spreads):
            raise ValueError(f"condition on {self.metric!r}: min_spread must be >= 0, and only with spreads = true")
        if self.hysteresis < 0:
            raise ValueError(f"condition on {self.metric!r}: hysteresis must be >= 0")

    def holds(self, value: float, in_fault: bool) -> bool:
        """True when `value` is out of band; in fault, the edge moves by the hysteresis."""
        slack = self.hysteresis if in_fault else 0.0
        if self.below is not None:
            return value < self.below + slack
        return value > self.above - slack  # type: ignore[operator]


@dataclass(frozen=True)
class Way:
    """One way a cue's fault shows: all `conditions` hold on a stride.

    The way puts the cue at fault after holding `persistence_strides` strides in a row (None:
    the cue's; such ways also share the cue's single streak, as before ways had their own).
    Iterates (and indexes) over its conditions, like the plain tuple a way used to be.
    """

    conditions: tuple[Condition, ...]
    persistence_strides: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", tuple(self.conditions))
        n = self.persistence_strides
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ValueError(f"persistence_strides must be a whole number >= 1, got {n!r}")

    def __iter__(self) -> Iterator[Condition]:
        return iter(self.conditions)

    def __len__(self) -> int:
        return len(self.conditions)

    def __getitem__(self, index: int) -> Condition:
        return self.conditions[index]


def as_way(way: Way | Iterable[Condition]) -> Way:
    """`way` itself, or a plain sequence of conditions as a way with the cue's persistence."""
    return way if isinstance(way, Way) else Way(tuple(way))


@dataclass(frozen=True)
class CueRule:
    """One coaching line and when to say it (see the comments in rules.toml)."""

    id: str
    text: str
    voice: str
    faults: tuple[Way, ...]
    priority: int = 5
    persistence_strides: int = 2
    clear_strides: int = 3
    cooldown_s: float = 30.0
    legs: str = "near"

    def __post_init__(self) -> None:
        check_field_types(self)
        object.__setattr__(self, "faults", tuple(map(as_way, self.faults)))
        if not self.faults or not all(self.faults):
            raise ValueError(f"cue {self.id!r} needs at least one [[cue.fault]] with conditions")
        if self.legs not in ("near", "both"):
            raise ValueError(f"cue {self.id!r}: legs must be 'near' or 'both'")
        if self.persistence_strides < 1 or self.clear_strides < 1 or self.cooldown_s < 0:
            raise ValueError(f"cue {self.id!r}: strides must be >= 1 and cooldown_s >= 0")

    def judges(self, stride: object) -> bool:
        """True when this rule looks at `stride` (near-leg strides only, unless legs = "both")."""
        return self.legs == "both" or bool(getattr(stride, "near", True))

    def way_persistence(self, way: Way) -> int:
        """Strides in a row `way` must hold to put the cue at fault."""
        return self.persistence_strides if way.persistence_strides is None else way.persistence_strides

    @property
    def metrics(self) -> set[str]:
        """The metrics the rule reads."""
        return {c.metric for way in self.faults for c in way}


@dataclass(frozen=True)
class PraiseRule:
    """The positive line said when a cued fault has stayed corrected `after_strides` strides."""

    id: str = "praise"
    text: str = "That's it — hold that"
    voice: str = "praise.wav"
    after_strides: int = 8
    cooldown_s: float = 30.0

    def __post_init__(self) -> None:
        check_field_types(self)
        if self.after_strides < 1 or self.cooldown_s < 0:
            raise ValueError("after_strides must be >= 1 and cooldown_s >= 0")


@dataclass(frozen=True)
class RuleSet:
    """All cue rules (by priority) and the positive line."""

    cues: tuple[CueRule, ...]
    praise: PraiseRule | None = None

    def voices(self) -> list[str]:
        """Every voice file the rules name."""
        return [r.voice for r in self.cues] + ([self.praise.voice] if self.praise else [])


def _build(cls: type, entry: Mapping[str, Any], where: str) -> Any:
    """`cls(**entry)`, with unknown keys reported by name."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be a table, got {entry!r}")
    unknown = set(entry) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} in {where}")
    try:
        return cls(**entry)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from err


def _way(entry: Mapping[str, Any], where: str) -> Way:
    """One [[cue.fault]] table: `conditions`, and optionally `persistence_strides`."""
    if "conditions" not in entry or not set(entry) <= {"conditions", "persistence_strides"}:
        raise ValueError(f"each [[cue.fault]] of {where} holds `conditions` and optionally `persistence_strides`")
    conditions = tuple(_build(Condition, c, where) for c in entry["conditions"])
    try:
        return Way(conditions, entry.get("persistence_strides"))
    except ValueError as err:
        raise ValueError(f"a [[cue.fault]] of {where}: {err}") from err


def _cue(entry: Mapping[str, Any]) -> CueRule:
    entry = dict(entry)
    where = f"cue {entry.get('id')!r}"
    ways = tuple(_way(way, where) for way in entry.pop("fault", []))
    return _build(CueRule, {**entry, "faults": ways}, where)


def check_metrics(rule: CueRule) -> None:
    """ValueError naming the first metric `rule` reads that is not a stride metric (`METRICS`)."""
    for metric in sorted(rule.metrics - set(METRICS)):
        close = difflib.get_close_matches(metric, METRICS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"the stride metrics are {', '.join(METRICS)}"
        raise ValueError(f"cue {rule.id!r} reads an unknown metric {metric!r} — {hint}")


def parse_rules(text: str, origin: str = "rules", base: RuleSet | None = None) -> RuleSet:
    """Parse a rules TOML document; with `base`, its cues are overridden by id. Every metric
    a cue reads must be a stride metric (a misspelt one would never fire)."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{origin}: cue rules are not valid ({err}) — fix the file or remove it") from err
    return rules_from_table(table, origin, base)


def rules_from_table(table: Mapping[str, Any], origin: str = "rules", base: RuleSet | None = None) -> RuleSet:
    """The rules of a TOML document's table (or of `rules_table`'s); see `parse_rules`."""
    try:
        unknown = set(table) - {"cue", "praise"}
        if unknown:
            raise ValueError(f"unknown tables {sorted(unknown)}")
        cues = {r.id: r for r in (base.cues if base else ())}
        mine = [_cue(entry) for entry in table.get("cue", [])]
        for rule in mine:
            check_metrics(rule)
        cues.update({r.id: r for r in mine})
        praise = _build(PraiseRule, table["praise"], "[praise]") if "praise" in table else None
    except (TypeError, ValueError, KeyError) as err:
        raise UserError(f"{origin}: cue rules are not valid ({err}) — fix the file or remove it") from err
    ordered = tuple(sorted(cues.values(), key=lambda r: r.priority))
    return RuleSet(ordered, praise if praise is not None else (base.praise if base else None))


def rules_table(rules: RuleSet) -> dict[str, Any]:
    """`rules` as the table of a rules document (JSON-safe, for summary.json); `rules_from_table`
    reads it back to the same rules."""
    table: dict[str, Any] = {"cue": [_cue_table(r) for r in rules.cues]}
    if rules.praise is not None:
        table["praise"] = asdict(rules.praise)
    return table


def _cue_table(rule: CueRule) -> dict[str, Any]:
    entry = {f.name: getattr(rule, f.name) for f in fields(rule) if f.name != "faults"}
    entry["fault"] = [
        {"conditions": [asdict(c) for c in way]}
        | ({} if way.persistence_strides is None else {"persistence_strides": way.persistence_strides})
        for way in rule.faults
    ]
    return entry


def good_band(
    rules: RuleSet, metric: str, default: tuple[float, float], alone: bool = True
) -> tuple[float, float]:
    """The good band of `metric` from the rules' absolute edges: from the highest `below` to the
    lowest `above` (`default`'s edge where the rules set none); with `alone`, only the ways
    that read `metric` alone count (an edge that holds only with other conditions is no band)."""
    conditions = [c for r in rules.cues for way in r.faults for c in way
                  if c.metric == metric and not c.baseline and (len(way) == 1 or not alone)]
    lows = [c.below for c in conditions if c.below is not None]
    highs = [c.above for c in conditions if c.above is not None]
    return (max(lows) if lows else default[0], min(highs) if highs else default[1])


#: "The good band of trunk lean" wherever it is shown — the live gauge, the end screen, the
#: report and summary.json's `lean_band`: the rules' edges on the lean at midstance, and this
#: band where the rules set none.
LEAN_METRIC = "trunk_lean_midstance_deg"
DEFAULT_LEAN_BAND = (0.0, 15.0)


def lean_band(rules: RuleSet | None) -> tuple[float, float]:
    """The good band of trunk lean at midstance (°) the rules hold runners to."""
    return DEFAULT_LEAN_BAND if rules is None else good_band(rules, LEAN_METRIC, DEFAULT_LEAN_BAND)


def default_rules_path() -> Path:
    """The rules.toml shipped inside the `cues` package."""
    return Path(str(resources.files("cues") / "rules.toml"))


def read_text(path: Path) -> str:
    """A rules file's text, or a UserError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(f"cannot read cue rules {path}: {err.strerror} — check the path") from err
    except UnicodeDecodeError as err:
        raise UserError(f"cue rules {path} are not UTF-8 text (byte {err.start}) — save the file as UTF-8") from err


def load_rules(override: Path | None = None) -> RuleSet:
    """The shipped rules, overridden by `override` (a user's rules.toml) when given."""
    shipped = default_rules_path()
    rules = parse_rules(read_text(shipped), str(shipped))
    if override is None:
        return rules
    return parse_rules(read_text(override), str(override), base=rules)
