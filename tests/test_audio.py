"""The voice for real: clips on disk, and VoicePlayer through SDL's `disk` audio driver.

Each playback scenario runs in a fresh interpreter (`subprocess`), so SDL's audio state and
environment never leak between tests or into the rest of the suite.

How the disk driver maps bytes to time (SDL 2.28, src/audio/disk/SDL_diskaudio.c): its audio
thread loops "mix one device buffer, write it to SDL_DISKAUDIOFILE, sleep io_delay ms".
io_delay is SDL_DISKAUDIODELAY if set, else buffer_frames * 1000 // freq (512 frames at
22050 Hz: 23 ms, so about real time). The file is the exact stream the speakers would get:
interleaved signed 16-bit native-endian samples, `channels` per frame, so byte offset b is at
t = b / (2 * channels * freq) seconds of audio. The mixer (and so `busy()`) advances one buffer
per write, so audio time is read from the file position, never from the wall clock, and the
tests set SDL_DISKAUDIODELAY=2 to run about 11x faster than real time. (An empty or "0"
value means no sleep at all: ~300x, tens of MB a second, so not that.) The file is written
through stdio, so its size seen from outside lags by up to one stdio buffer; every byte in it
at a given moment was written before that moment, and `close()` flushes the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from cues.rules import load_rules

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - Python 3.10
    pass

ROOT = Path(__file__).resolve().parents[1]
VOICE_DIR = ROOT / "assets" / "voice"
RULES = ROOT / "cues" / "rules.toml"

SILENT = 16  # |sample| at or below this (about -66 dBFS) counts as silence
PREROLL_BYTES = 16384  # written before play(): about 0.19 s of 22050 Hz stereo 16-bit

CHILD = r"""
import json, logging, os, sys, time
from pathlib import Path

import pygame
from realtime.outputs.voice import VoicePlayer

logging.basicConfig(level=logging.WARNING, format="%(levelname)s:%(name)s:%(message)s")
args = json.loads(sys.argv[1])
player = VoicePlayer(Path(args["voice_dir"]), volume=args["volume"], muted=args["muted"])
opened = player.open()
out = os.environ.get("SDL_DISKAUDIOFILE")
before = 0
if opened and out:
    deadline = time.monotonic() + 10
    while os.path.getsize(out) < args["preroll_bytes"] and time.monotonic() < deadline:
        time.sleep(0.005)
    before = os.path.getsize(out)
started = [player.play(name) for name in args["play"]]
busy_at_start = player.busy()
deadline = time.monotonic() + 20
while player.busy() and time.monotonic() < deadline:
    time.sleep(0.005)
time.sleep(args["tail_s"])
mixer = pygame.mixer.get_init()
player.close()
print(json.dumps({"opened": opened, "started": started, "busy_at_start": busy_at_start,
                  "busy_after": player.busy(), "before": before, "mixer": mixer}))
"""


def run_player(tmp_path: Path, *, driver: str = "disk", play: list[str], volume: float = 1.0,
               muted: bool = False, tail_s: float = 0.1) -> tuple[dict, np.ndarray | None, str]:
    """Run CHILD in a fresh interpreter; return (its report, samples written, stderr).

    Samples are an (n_frames, channels) int16 array, None when nothing was written.
    """
    out = tmp_path / "out.raw"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDL_")}
    env.update(SDL_AUDIODRIVER=driver, SDL_DISKAUDIOFILE=str(out), SDL_DISKAUDIODELAY="2",
               PYGAME_HIDE_SUPPORT_PROMPT="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
    args = {"voice_dir": str(VOICE_DIR), "volume": volume, "muted": muted, "play": play,
            "preroll_bytes": PREROLL_BYTES, "tail_s": tail_s}
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    samples = None
    if out.exists():
        channels = report["mixer"][2]
        data = np.frombuffer(out.read_bytes(), dtype=np.int16)
        samples = data[: len(data) // channels * channels].reshape(-1, channels)
    return report, samples, done.stderr


def read_wav(path: Path) -> tuple[tuple[int, int, int], np.ndarray]:
    """((channels, rate, sample width in bytes), samples as int16) of a WAV file."""
    with wave.open(str(path), "rb") as w:
        fmt = (w.getnchannels(), w.getframerate(), w.getsampwidth())
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return fmt, data


def rms_db(x: np.ndarray) -> float:
    """RMS level in dBFS of int16 samples."""
    return 20 * np.log10(np.sqrt(np.mean((x.astype(np.float64) / 32768) ** 2)))


def loud_span(x: np.ndarray) -> tuple[int, int]:
    """[first, last] index of samples louder than SILENT."""
    loud = np.flatnonzero(np.abs(x.astype(np.int32)) > SILENT)
    assert loud.size, "no sound at all"
    return int(loud[0]), int(loud[-1])


def played_clip(left: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """The stretch of `left` where `clip` was played (aligned by cross-correlation)."""
    onset = loud_span(left)[0] - loud_span(clip)[0]  # first guess, within a few samples
    starts = range(max(0, onset - 8), onset + 9)
    score = [np.dot(left[i: i + len(clip)].astype(np.float64), clip) for i in starts]
    start = starts[int(np.argmax(score))]
    return left[start: start + len(clip)]


def cue_voices() -> list[str]:
    """Every voice line the shipped rules name (the cues and the positive line)."""
    return load_rules().voices()


# --- the clips -----------------------------------------------------------------------------


def test_every_cue_has_a_clean_clip_at_one_level() -> None:
    voices = cue_voices()
    assert voices, "no [[cue]] in cues/rules.toml"
    levels = {}
    for name in voices:
        path = VOICE_DIR / name
        assert path.is_file(), f"{path} missing: run python assets/make_voices.py"
        fmt, x = read_wav(path)
        assert fmt == (1, 22050, 2), f"{name}: (channels, rate, bytes) {fmt}"
        assert 0.5 <= len(x) / fmt[1] <= 4.0, f"{name}: {len(x) / fmt[1]:.2f} s"
        peak = np.abs(x.astype(np.int32)).max()
        assert 20 * np.log10(peak / 32768) < -0.9, f"{name} clips"
        levels[name] = rms_db(x)
        assert levels[name] > -30, f"{name} is (nearly) silent"
    median = float(np.median(list(levels.values())))
    for name, level in levels.items():
        assert abs(level - median) <= 2.0, f"{name}: RMS {level:.1f} dBFS vs median {median:.1f}"


# --- playback through the disk driver ---------------------------------------------------------


def test_play_writes_the_clip_once_after_silence(tmp_path: Path) -> None:
    report, out, _ = run_player(tmp_path, play=["ribs_down.wav", "ribs_down.wav"])
    freq, _, channels = report["mixer"]
    assert (freq, channels) == (22050, 2)
    assert report["started"] == [True, False], "a second line must not start over the first"
    assert report["busy_at_start"] and not report["busy_after"]

    # Before play(): the device was running and wrote only silence.
    before = report["before"] // (2 * channels)
    assert before >= PREROLL_BYTES // (2 * channels)
    assert not out[:before].any()

    # After: the clip, once, at full volume, mono copied to both channels.
    _, clip = read_wav(VOICE_DIR / "ribs_down.wav")
    np.testing.assert_array_equal(out[:, 0], out[:, 1])
    left = out[:, 0]
    first, last = loud_span(left)
    clip_first, clip_last = loud_span(clip)
    assert first >= before
    assert abs((last - first) - (clip_last - clip_first)) / freq < 0.01
    played = played_clip(left, clip)
    assert np.corrcoef(played, clip)[0, 1] > 0.999
    assert abs(rms_db(played) - rms_db(clip)) < 0.2
    assert not left[first - clip_first + len(clip):].any(), "sound after the clip ended"


def test_volume_scales_the_output(tmp_path: Path) -> None:
    report, out, _ = run_player(tmp_path, play=["ribs_down.wav"], volume=0.5)
    assert report["started"] == [True]
    _, clip = read_wav(VOICE_DIR / "ribs_down.wav")
    played = played_clip(out[:, 0], clip)
    assert np.corrcoef(played, clip)[0, 1] > 0.999
    assert rms_db(played) - rms_db(clip) == pytest.approx(-6.02, abs=0.3)


def test_muted_player_writes_only_silence(tmp_path: Path) -> None:
    report, out, _ = run_player(tmp_path, play=["ribs_down.wav"], muted=True, tail_s=0.3)
    assert report["opened"] and report["started"] == [False]
    _, clip = read_wav(VOICE_DIR / "ribs_down.wav")
    assert len(out) > len(clip), "the device ran long enough for the clip to have shown up"
    assert not out.any()


def test_missing_clip_warns_once_and_stays_silent(tmp_path: Path) -> None:
    report, out, err = run_player(tmp_path, play=["no_such_line.wav", "no_such_line.wav"])
    assert report["started"] == [False, False]
    assert err.count("voice line missing") == 1, err
    assert not out.any()


def test_without_audio_device_runs_silent(tmp_path: Path) -> None:
    report, out, err = run_player(tmp_path, driver="nonexistent_driver",
                                  play=["ribs_down.wav", "ribs_down.wav"])
    assert report["opened"] is False
    assert report["started"] == [False, False]
    assert not report["busy_at_start"]
    assert err.count("no audio device: running silent (") == 1, err
    assert "Traceback" not in err
    assert out is None


def test_import_has_no_side_effects() -> None:
    code = "import pygame, realtime.outputs.voice; print(pygame.mixer.get_init())"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYGAME_HIDE_SUPPORT_PROMPT": "1",
                               "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"


@pytest.mark.parametrize("volume, expected", [(-1.0, 0.0), (0.25, 0.25), (7.0, 1.0)])
def test_volume_is_clamped(volume: float, expected: float) -> None:
    from realtime.outputs.voice import VoicePlayer

    player = VoicePlayer(VOICE_DIR, volume=volume)
    assert player.volume == expected
    player.set_volume(volume)
    assert player.volume == expected
    assert player.toggle_mute() is True and player.toggle_mute() is False


def test_alsa_lines_stay_off_the_terminal_unless_shown():
    """pygame.mixer on ALSA with no sound card: ALSA prints from C to fd 2 (real process);
    only the voice's own one-line warning reaches the terminal, all of it with the logs shown."""
    import os
    import subprocess
    import sys

    code = ("import logging; logging.basicConfig(); from pathlib import Path; "
            "from realtime.outputs.voice import VoicePlayer; print(VoicePlayer(Path('.')).open())")
    env = {**os.environ, "SDL_AUDIODRIVER": "alsa", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    env.pop("RIBSDOWN_NATIVE_LOGS", None)
    quiet = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    shown = subprocess.run([sys.executable, "-c", code], env={**env, "RIBSDOWN_NATIVE_LOGS": "show"},
                           capture_output=True, text=True, timeout=60)
    if quiet.stdout.strip() == "True":
        pytest.skip("this machine has a sound card: ALSA has nothing to complain about")
    assert "ALSA lib" not in quiet.stderr and "no audio device" in quiet.stderr
    assert "ALSA lib" in shown.stderr  # they were there to keep off
