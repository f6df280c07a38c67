"""Camera set-up checks for a runner filmed side-on on a treadmill.

Two layers, as elsewhere in the project:

- pure per-frame measurements: `frame_checks(pose, image_size)` gives a `FrameSetup`
  (person found, whole body in the picture, side-on or not, body size), and
  `image_brightness(image)` the mean luma for the "too dark" check;
- `SetupMonitor.update(t, frame_setup, brightness, roll)`, called every frame, turns them
  into the `SetupWarning`s that hold now. A condition must hold for `hold_frac` of the
  last `window_s` seconds (time-weighted) before it warns, and a warning stays up until
  the condition drops below `release_frac`, so one bad frame neither raises nor clears
  one. `session_summary()` lists what held, for `summary.json`.

Thresholds (`SetupParams`) were measured with MediaPipe Pose on the real clips
(../shared/data/clips):

- `side_view_score` = mean of the shoulders' and the hips' left-right x separation,
  over the trunk length (mid-hip to mid-shoulder). Side-on it is small but not zero
  (arm swing turns the shoulders): treadmill runner median 0.145, p90 0.24, max 0.33;
  side-on walker p90 0.33, max 0.39. Seen from the back (the jumping-jacks person of
  `walk_multi_person.mp4`): median 0.49, p10 0.38 (shoulders about 0.6 trunk apart, hips
  0.36). Per frame "not side-on" is a score above 0.35.
- `body_height_frac` = nose to lowest foot landmark over the image height: treadmill
  runner 0.36-0.44 (median 0.41). "Too far" below 0.30, "too close" above 0.95 or
  cut at the top and the bottom at once.
- Brightness (mean luma, 0..255): the real clips 52-176 (p5 of frames); the same
  clips darkened to 15 % give 8-26. "Too dark" below 40.
- Camera roll: a `RollEstimate` with confidence >= 0.3 (as `RollTracker`) and
  |roll| >= 2.5 degrees.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from realtime.analysis.camera_roll import RollEstimate
from realtime.core.pose import Landmark as L
from realtime.core.pose import Pose

#: Warning ids, in the order `SetupMonitor.update` returns them (most urgent first).
WARNING_IDS: tuple[str, ...] = (
    "too_dark", "no_person", "too_close", "body_cut_off", "too_far", "not_side_on",
    "camera_tilted",
)

#: Runner-facing texts (`body_cut_off` and `camera_tilted` are filled in per case).
TEXTS: dict[str, str] = {
    "no_person": "Step into view",
    "not_side_on": "Turn side-on to the camera",
    "too_far": "Move the camera closer",
    "too_close": "Move the camera back — you are too close",
    "too_dark": "More light, please",
}
_CUT_TEXT = "Move the camera back — {} out of the picture"
_CUT_WHAT = {
    ("feet",): "your feet are",
    ("head",): "your head is",
    ("feet", "head"): "your head and feet are",
}
_TILT_TEXT = "Camera tilted {:.0f}° — corrected"

#: Warnings judged over the time a person is in view (the others over the whole session).
_POSE_WARNINGS = frozenset({"not_side_on", "body_cut_off", "too_far", "too_close"})

_HEAD = (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR)
_FOOT = {
    "left": (L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    "right": (L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
}
_FOOT_ALL = _FOOT["left"] + _FOOT["right"]


@dataclass(frozen=True)
class SetupParams:
    """Thresholds of the set-up checks (see the module doc for where they come from)."""

    margin_frac: float = 0.015  # a landmark this close to the image edge counts as out
    min_visibility: float = 0.5  # a landmark below this is not seen
    side_view_max: float = 0.35  # side_view_score above this: not side-on
    too_far_frac: float = 0.30  # body_height_frac below this: too far
    too_close_frac: float = 0.95  # body_height_frac above this: too close
    dark_luma: float = 40.0  # mean luma below this: too dark
    tilt_deg: float = 2.5  # |roll| at least this: tilted
    roll_min_confidence: float = 0.3  # rolls below this confidence are ignored


DEFAULT_PARAMS = SetupParams()


@dataclass(frozen=True)
class FrameSetup:
    """Set-up measurements of one frame.

    Attributes:
        in_view: a person was found.
        whole_body: head (nose, ears) and the near foot (heel, toe) inside the image.
        cut_off: the parts out of the picture, sorted: "feet", "head".
        side_view_score: shoulder and hip x separation over trunk length (0 side-on,
            about 0.5 facing the camera); NaN with no person.
        body_height_frac: nose to lowest foot landmark over image height; NaN with no person.
        cut_both_ends: head out at the top and feet out at the bottom at once.
        near_side: "left" or "right", the foot seen best (None with no person).
    """

    in_view: bool
    whole_body: bool
    cut_off: tuple[str, ...]
    side_view_score: float
    body_height_frac: float
    cut_both_ends: bool = False
    near_side: str | None = None

    @classmethod
    def empty(cls) -> FrameSetup:
        """No person in the frame."""
        return cls(False, False, (), math.nan, math.nan)


@dataclass(frozen=True)
class SetupWarning:
    """One set-up problem: a stable `id` (see `WARNING_IDS`) and the text shown to the runner."""

    id: str
    text: str


# --------------------------------------------------------------------------- per frame


def image_brightness(image_bgr: np.ndarray, max_side: int = 160) -> float:
    """Mean luma (BT.601, 0..255) of a BGR `(H, W, 3)` or grey `(H, W)` uint8 image,
    measured on a copy downscaled so its longer side is at most `max_side`."""
    img = np.asarray(image_bgr)
    if img.ndim not in (2, 3) or img.size == 0:
        raise ValueError(f"image must be (H, W) or (H, W, 3), got {img.shape}")
    scale = max_side / max(img.shape[:2])
    if scale < 1.0:
        size = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return float(img.mean())


def side_view_score(pose: Pose) -> float:
    """Mean of the shoulders' and the hips' |left x - right x|, over the trunk length
    (mid-hip to mid-shoulder); NaN when the trunk has no length."""
    xy = pose.xy
    trunk = float(np.linalg.norm(pose.midpoint(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
                                 - pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP)))
    if trunk < 1e-6:
        return math.nan
    shoulders = abs(xy[L.LEFT_SHOULDER, 0] - xy[L.RIGHT_SHOULDER, 0])
    hips = abs(xy[L.LEFT_HIP, 0] - xy[L.RIGHT_HIP, 0])
    return float((shoulders + hips) / 2.0 / trunk)


def near_side(pose: Pose) -> str:
    """The side ("left"/"right") whose foot landmarks are the more visible."""
    left = pose.visibility[list(_FOOT["left"])].mean()
    right = pose.visibility[list(_FOOT["right"])].mean()
    return "left" if left >= right else "right"


def frame_checks(
    pose: Pose | None, image_size: tuple[int, int], params: SetupParams = DEFAULT_PARAMS
) -> FrameSetup:
    """Set-up measurements of one frame; `image_size` is `(width, height)` pixels.

    The head counts as in when every head landmark (nose, ears) seen with enough
    visibility lies inside the image with a margin (and at least one is seen); the feet
    when the near foot's heel and toe do. The far leg may be hidden (by a treadmill
    console) and is not required.
    """
    if pose is None:
        return FrameSetup.empty()
    w, h = image_size
    if w <= 0 or h <= 0:
        raise ValueError(f"image_size must be positive, got {image_size}")
    mx, my = params.margin_frac * w, params.margin_frac * h
    xy, vis = pose.xy, pose.visibility
    seen = vis >= params.min_visibility
    inside_x = (xy[:, 0] >= mx) & (xy[:, 0] <= w - mx)
    above = xy[:, 1] < my
    below = xy[:, 1] > h - my

    head = list(_HEAD)
    head_seen = seen[head]
    head_in = bool(head_seen.any()) and bool(np.all(
        (inside_x[head] & ~above[head] & ~below[head])[head_seen]))
    side = near_side(pose)
    foot = [L.LEFT_HEEL, L.LEFT_FOOT_INDEX] if side == "left" else [L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX]
    feet_in = bool(np.all(seen[foot] & inside_x[foot] & ~above[foot] & ~below[foot]))

    cut_off = tuple(part for part, ok in (("feet", feet_in), ("head", head_in)) if not ok)
    cut_both = bool(above[head].any() and below[foot].any())
    lowest = float(xy[list(_FOOT_ALL), 1].max())
    return FrameSetup(
        in_view=True,
        whole_body=not cut_off,
        cut_off=cut_off,
        side_view_score=side_view_score(pose),
        body_height_frac=(lowest - float(xy[L.NOSE, 1])) / h,
        cut_both_ends=cut_both,
        near_side=side,
    )


# --------------------------------------------------------------------------- over time


@dataclass
class _Held:
    """Session bookkeeping of one warning id."""

    first_t: float
    text: str
    seconds: float = 0.0


@dataclass
class _Entry:
    t: float
    dt: float
    conditions: frozenset[str]


class SetupMonitor:
    """Streaming set-up warnings: call `update` every frame, with or without a person.

    A condition warns once it held for `hold_frac` of the last `window_s` seconds and
    clears when it falls below `release_frac`. Time between frames counts for the later
    frame, capped at `max_gap_s`; a clock going backwards starts a fresh window. A `brightness` or `roll` not given this frame reuses
    the last one given within `window_s`.
    """

    def __init__(
        self,
        window_s: float = 3.0,
        hold_frac: float = 0.6,
        release_frac: float = 0.3,
        max_gap_s: float = 0.5,
        params: SetupParams = DEFAULT_PARAMS,
    ) -> None:
        if window_s <= 0 or not 0 < release_frac <= hold_frac <= 1 or max_gap_s <= 0:
            raise ValueError("need window_s > 0, max_gap_s > 0 and 0 < release_frac <= hold_frac <= 1")
        self.window_s = window_s
        self.hold_frac = hold_frac
        self.release_frac = release_frac
        self.max_gap_s = max_gap_s
        self.params = params
        self._entries: deque[_Entry] = deque()
        self._active: set[str] = set()
        self._held: dict[str, _Held] = {}
        self._last_t: float | None = None
        self._brightness: tuple[float, float] | None = None  # (t, luma)
        self._roll: tuple[float, RollEstimate] | None = None  # (t, estimate)
        self._rolls: deque[tuple[float, float]] = deque()  # (t, roll_deg) while tilted
        self._session_s = 0.0
        self._in_view_s = 0.0

    def update(
        self,
        t: float,
        frame_setup: FrameSetup | None,
        brightness: float | None = None,
        roll: RollEstimate | None = None,
    ) -> list[SetupWarning]:
        """Add one frame (`frame_setup` None: no person) and return the warnings that hold
        now, most urgent first (order of `WARNING_IDS`)."""
        fs = frame_setup or FrameSetup.empty()
        if self._last_t is not None and t < self._last_t:  # clock went back: a new window
            self._entries.clear()
            self._rolls.clear()
            self._last_t = None
        dt = 0.0 if self._last_t is None else min(t - self._last_t, self.max_gap_s)
        self._last_t = t
        if brightness is not None:
            self._brightness = (t, float(brightness))
        if roll is not None:
            self._roll = (t, roll)
        conditions = self._conditions(t, fs)
        self._entries.append(_Entry(t, dt, conditions))
        while self._entries and self._entries[0].t <= t - self.window_s:
            self._entries.popleft()
        self._rolls_update(t, conditions)

        held_s: dict[str, float] = {}
        for e in self._entries:
            for c in e.conditions:
                held_s[c] = held_s.get(c, 0.0) + e.dt
        warnings = self._decide(held_s)
        self._account(t, dt, fs.in_view, warnings)
        return warnings

    def session_summary(self) -> list[dict]:
        """Each warning id that held at any time: `id`, `text` (the latest), `fraction` of
        the in-view time it held (of the whole session for `no_person`, `too_dark`,
        `camera_tilted`: see `fraction_of`), and `first_t` (seconds), in `WARNING_IDS` order."""
        out = []
        for wid in WARNING_IDS:
            held = self._held.get(wid)
            if held is None:
                continue
            of = "in_view" if wid in _POSE_WARNINGS else "session"
            total = self._in_view_s if of == "in_view" else self._session_s
            out.append({
                "id": wid,
                "text": held.text,
                "fraction": round(held.seconds / total, 4) if total > 0 else 0.0,
                "fraction_of": of,
                "first_t": round(held.first_t, 3),
            })
        return out

    # ---------------------------------------------------------------- helpers

    def _conditions(self, t: float, fs: FrameSetup) -> frozenset[str]:
        """The raw (one-frame) conditions; body cut-offs are split into cut:feet / cut:head."""
        p = self.params
        out: set[str] = set()
        if not fs.in_view:
            out.add("no_person")
        else:
            out.update(f"cut:{part}" for part in fs.cut_off)
            if fs.side_view_score > p.side_view_max:
                out.add("not_side_on")
            if fs.body_height_frac < p.too_far_frac and not fs.cut_off:
                out.add("too_far")
            if fs.body_height_frac > p.too_close_frac or fs.cut_both_ends:
                out.add("too_close")
        if self._brightness is not None and t - self._brightness[0] < self.window_s:
            if self._brightness[1] < p.dark_luma:
                out.add("too_dark")
        if self._roll is not None and t - self._roll[0] < self.window_s:
            r = self._roll[1]
            if r.confidence >= p.roll_min_confidence and abs(r.roll_deg) >= p.tilt_deg:
                out.add("camera_tilted")
        return frozenset(out)

    def _rolls_update(self, t: float, conditions: frozenset[str]) -> None:
        """Keep the tilted rolls of the window, for the text's median angle."""
        if "camera_tilted" in conditions and self._roll is not None:
            self._rolls.append((t, self._roll[1].roll_deg))
        while self._rolls and self._rolls[0][0] <= t - self.window_s:
            self._rolls.popleft()

    def _is_on(self, key: str, held_s: dict[str, float]) -> bool:
        """Hysteresis: on at `hold_frac` of the window, off below `release_frac`."""
        frac = held_s.get(key, 0.0) / self.window_s
        return frac >= (self.release_frac if key in self._active else self.hold_frac)

    def _decide(self, held_s: dict[str, float]) -> list[SetupWarning]:
        """The warnings on after this frame, in `WARNING_IDS` order, with their texts."""
        raw_keys = {c for e in self._entries for c in e.conditions} | set(self._active)
        on = {k for k in raw_keys if self._is_on(k, held_s)}
        self._active = on
        warnings = []
        for wid in WARNING_IDS:
            if wid == "body_cut_off":
                parts = tuple(sorted(k[4:] for k in on if k.startswith("cut:")))
                if parts:
                    warnings.append(SetupWarning(wid, _CUT_TEXT.format(_CUT_WHAT[parts])))
            elif wid == "camera_tilted":
                if wid in on and self._rolls:
                    angle = abs(float(np.median([r for _, r in self._rolls])))
                    warnings.append(SetupWarning(wid, _TILT_TEXT.format(angle)))
            elif wid in on:
                warnings.append(SetupWarning(wid, TEXTS[wid]))
        return warnings

    def _account(self, t: float, dt: float, in_view: bool, warnings: list[SetupWarning]) -> None:
        """Session totals for `session_summary`."""
        self._session_s += dt
        if in_view:
            self._in_view_s += dt
        for w in warnings:
            held = self._held.setdefault(w.id, _Held(first_t=t, text=w.text))
            held.text = w.text
            if w.id not in _POSE_WARNINGS or in_view:
                held.seconds += dt
