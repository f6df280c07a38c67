"""The committed voice lines are said calmly: words a minute and pauses, from their samples.

Measured with assets/make_voices.py's `pace` (Python `wave` + numpy; no TTS engine needed):
10 ms frames, a frame silent when it is 35 dB or more under the clip's RMS (a pause's middle
lies 54-77 dB under it; inside the words no stretch under -35 dB lasts over 60 ms: stop
closures), a pause a silent stretch of at least 200 ms inside the speech (three times the
longest closure). Words a minute: the text's words over the speech, first sounding frame to
last, pauses included (as the issue measured its 255 and 280).

Measured (words a minute; pauses):   before #20          after #20
  ribs_down      "Ribs down, lean forward"        175.4; none      118; 350 ms
  hip_drive      "Drive the leg back from the hip — ribs stay down"
                                                    255; none
                 "Drive from the hip — ribs stay down"              156; 360 ms
  lean_less      "Run tall"                         203              160
  shorter_steps  "Shorter, quicker steps"           137; none       89; 380 ms
  praise         "That's it — hold that"            282; none      156; 360 ms
The clips before #20 fail 8 of the 10 per-line tests (`git show d161f8a~1:assets/voice/NAME.wav`).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
VOICE_DIR = ROOT / "assets" / "voice"

# The "at most about 170 words a minute"; the 5 over it allow for the 10 ms frames at
# either end of a short line (one frame moves "Run tall" by 2 words a minute).
MAX_WPM = 175.0


def load_make_voices() -> ModuleType:
    """assets/make_voices.py of this checkout (the installed ribsdown_assets may be another's)."""
    spec = importlib.util.spec_from_file_location("make_voices", ROOT / "assets" / "make_voices.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


MV = load_make_voices()
LINES = MV.read_cues(MV.RULES)  # (text, voice file) of every cue and the praise


def test_the_measure_finds_a_pause_and_passes_over_a_stop() -> None:
    """Noise 0.5 s, a 120 ms gap (a stop's closure), 0.5 s, a 300 ms gap (a pause), 0.5 s."""
    rate = 22050
    rng = np.random.default_rng(0)

    def sound(s: float) -> np.ndarray:
        return 0.1 * rng.standard_normal(int(s * rate))

    def gap(s: float) -> np.ndarray:
        return 1e-4 * rng.standard_normal(int(s * rate))  # 60 dB under the sound

    x = np.concatenate([gap(0.1), sound(0.5), gap(0.12), sound(0.5), gap(0.3), sound(0.5), gap(0.1)])
    pace = MV.pace(x, rate, "one two three")
    assert len(pace.pauses) == 1
    start, length = pace.pauses[0]
    assert start == pytest.approx(1.22, abs=0.011) and length == pytest.approx(0.3, abs=0.011)
    assert pace.speech_s == pytest.approx(1.92, abs=0.02)
    assert pace.wpm == pytest.approx(3 * 60 / 1.92, rel=0.02)


@pytest.mark.parametrize("text, voice", LINES, ids=[voice for _, voice in LINES])
def test_each_line_is_said_at_a_calm_pace(text: str, voice: str) -> None:
    pace = MV.pace(*MV.read_wav(VOICE_DIR / voice), text)
    assert pace.wpm <= MAX_WPM, (
        f"{voice}: {pace.wpm:.0f} words/min ({pace.words} words in {pace.speech_s:.2f} s): "
        "re-make it with python assets/make_voices.py")


@pytest.mark.parametrize("text, voice", LINES, ids=[voice for _, voice in LINES])
def test_each_comma_and_dash_is_a_pause(text: str, voice: str) -> None:
    breaks = len(MV.phrases(text)) - 1
    pace = MV.pace(*MV.read_wav(VOICE_DIR / voice), text)
    assert len(pace.pauses) >= breaks, (
        f"{voice}: {breaks} commas or dashes in {text!r}, pauses of {MV.MIN_PAUSE_S * 1000:.0f} ms "
        f"or more found: {[round(length, 2) for _, length in pace.pauses]}")
    assert all(length >= MV.MIN_PAUSE_S for _, length in pace.pauses)
