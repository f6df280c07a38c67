"""Generate the coaching voice clips in assets/voice/ from cues/rules.toml.

Run by hand after changing a cue's text:

    python assets/make_voices.py                       # every [[cue]] and [praise] in cues/rules.toml
    python assets/make_voices.py --text "Ribs down" --out /tmp/line.wav

Speech comes from festival's HTS voice (cmu_us_slt_arctic_hts), else flite (slt), else
espeak-ng, at a calm pace: at most TARGET_WPM words a minute of speech, and a PAUSE_S
silence at every comma and dash. sox then makes every clip mono, 22050 Hz, 16-bit, trims
leading and trailing silence and brings all lines to one loudness (RMS about -18 dBFS,
peaks below -1 dBFS). Each clip's line printed says its length, its words a minute and the
pauses measured in its samples.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "cues" / "rules.toml"
VOICE_DIR = ROOT / "assets" / "voice"

RATE = 22050
TARGET_RMS_DB = -18.0
CEILING_DB = -1.0
SILENCE = "0.5%"  # amplitude below which leading/trailing audio counts as silence

ENGINES = ("festival", "flite", "espeak-ng")

# Pace. A runner mid-stride hears the line once, over footfalls and a treadmill: the issue asks
# for at most about 170 words a minute (audiobooks are read at about 150-160; the lines before
# #20 ran at 175-280). Lines aim at 160, under the limit with room for the voice's own timing.
TARGET_WPM = 160.0
MAX_WPM = 170.0
# The HTS engine's speech rate (-r): < 1 lengthens every state, keeping the pitch (no
# resampling). At BASE_SPEED the voice says about 3 syllables a second of sounding speech (3.5
# at its own rate), a calm reading pace; a line still over TARGET_WPM is slowed further, never
# under MIN_SPEED, past which the voice drawls.
BASE_SPEED = 0.85
MIN_SPEED = 0.6
# Silence at each comma or dash: about one footstep at a running cadence of 170 steps/min
# (353 ms), so the two halves land on two steps; well over the 250 ms from which listeners
# hear a silence as a pause (Goldman-Eisler 1968), and short enough that the line stays one.
PAUSE_S = 0.35
BREAKS = re.compile(r"\s*[,\u2014\u2013]\s*|\s+-\s+")  # comma, em dash, en dash, spaced hyphen

# Measuring a clip from its samples (also tests/test_voice_pace.py): 10 ms frames, a frame
# silent when its RMS is SILENT_DB or more under the clip's RMS. On the clips of #20 the middle
# of a pause lies 54-77 dB under it (its edges, where a sound dies away, from 38 dB), and inside
# the words no stretch under -35 dB lasts longer than 60 ms (stop closures: the "p" of "hip").
# A pause is a silent stretch of at least MIN_PAUSE_S inside the speech: three times the
# longest closure, and well under the PAUSE_S the lines are made with.
FRAME_S = 0.01
SILENT_DB = -35.0
MIN_PAUSE_S = 0.2


@dataclass(frozen=True)
class Stats:
    """What `sox FILE -n stats` says about a clip."""

    length_s: float
    rms_db: float
    peak_db: float


@dataclass(frozen=True)
class Pace:
    """How fast a clip speaks, and where it pauses.

    The pace is the line's words over its speech: from the first sounding frame to the last,
    pauses included (a line's pauses are part of its pace: the issue's 255 and 280 words a
    minute were measured so). The articulation rate leaves the pauses out.
    """

    length_s: float
    speech_s: float  # first to last sounding frame
    words: int
    pauses: tuple[tuple[float, float], ...]  # (start s, length s) of each pause inside the speech

    @property
    def wpm(self) -> float:
        """Words a minute over the speech, pauses included."""
        return 60.0 * self.words / self.speech_s if self.speech_s > 0 else float("inf")

    @property
    def articulation_wpm(self) -> float:
        """Words a minute over the sounding time alone (the speech less its pauses)."""
        sounding = self.speech_s - sum(length for _, length in self.pauses)
        return 60.0 * self.words / sounding if sounding > 0 else float("inf")


def phrases(text: str) -> list[str]:
    """The line cut at its commas and dashes: the stretches said without a pause."""
    return [part for part in BREAKS.split(text.strip()) if part]


def festival_script(text: str, speed: float, out: Path) -> str:
    """Scheme for festival: say `text` (dashes as commas) at HTS rate `speed` into `out`, and
    print each segment's name and end time."""
    spoken = ", ".join(phrases(text)).replace("\\", " ").replace('"', " ")
    return (
        "(voice_cmu_us_slt_arctic_hts)\n"
        # The voice's own phrasing model skips the break at some commas: break at every one.
        "(Parameter.set 'Phrase_Method 'cart_tree)\n"
        "(set! phrase_cart_tree simple_phrase_cart_tree)\n"
        f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {speed:.4f}))))\n'
        f"(set! utt (utt.synth (eval (list 'Utterance 'Text \"{spoken}\"))))\n"
        '(mapcar (lambda (s) (format t "segment %s %f\\n" (item.name s) (item.feat s "end")))'
        " (utt.relation.items utt 'Segment))\n"
        f"(utt.save.wave utt \"{out}\" 'riff)\n"
    )


def inner_pauses(segments: list[tuple[str, float]]) -> list[tuple[float, float]]:
    """(start s, end s) of each pause festival put inside the line (not at its ends)."""
    return [(segments[i - 1][1], end) for i, (name, end) in enumerate(segments)
            if name == "pau" and 0 < i < len(segments) - 1]


def silence_in(silent: np.ndarray, start_s: float, end_s: float) -> tuple[float, float]:
    """(middle s, length s) of the longest silent stretch between `start_s` and `end_s`."""
    a = int(start_s / FRAME_S)
    stretches = runs(silent[a: int(np.ceil(end_s / FRAME_S))]) or [(0, 0)]
    first, stop = max(stretches, key=lambda run: run[1] - run[0])
    return (a + (first + stop) / 2) * FRAME_S, (stop - first) * FRAME_S


def synth_festival(text: str, out: Path, speed: float, work: Path) -> None:
    """Say `text` into `out` with festival's HTS voice at rate `speed`, the silence in each
    comma's pause made up to PAUSE_S by silence inserted at its middle (sox `pad`)."""
    spoken = work / "festival.wav"
    spoken.unlink(missing_ok=True)  # left by the try before, at another speed
    done = subprocess.run(["festival", "--pipe"], input=festival_script(text, speed, spoken),
                          text=True, check=True, capture_output=True)
    if not spoken.is_file():
        return  # the voice is missing: festival says so on stderr and writes nothing
    segments = [(name, float(end)) for name, end in
                re.findall(r"^segment (\S+) ([\d.]+)$", done.stdout, re.MULTILINE)]
    silent = silent_frames(*read_wav(spoken))
    quiet = [silence_in(silent, start, end) for start, end in inner_pauses(segments)]
    pads = [f"{PAUSE_S - length:.3f}@{middle:.3f}" for middle, length in quiet if length < PAUSE_S]
    if pads:
        sox(spoken, out, "pad", *pads)
    else:
        shutil.copyfile(spoken, out)


def say_flite(text: str, out: Path, speed: float) -> None:
    """Say `text` into `out` with flite's slt voice, durations stretched by 1/`speed`."""
    subprocess.run(["flite", "-voice", "slt", "--setf", f"duration_stretch={1 / speed:.3f}",
                    "-t", text, "-o", str(out)], check=True, capture_output=True)


def say_espeak(text: str, out: Path, speed: float) -> None:
    """Say `text` into `out` with espeak-ng (US English) at `speed` times its 175 words/min."""
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(round(175 * speed)), "-w", str(out),
                    text], check=True, capture_output=True)


def synth_in_phrases(say: Callable[[str, Path, float], None], text: str, out: Path,
                     speed: float, work: Path) -> None:
    """Say each phrase of `text` apart with `say`, trimmed, and join them with PAUSE_S of silence."""
    pieces = []
    for i, phrase in enumerate(phrases(text)):
        spoken, piece = work / f"phrase{i}.wav", work / f"piece{i}.wav"
        say(phrase, spoken, speed)
        sox(spoken, piece, "silence", "1", "0.005", SILENCE, "reverse",
            "silence", "1", "0.005", SILENCE, "reverse", "pad", "0", f"{PAUSE_S}")
        pieces.append(piece)
    sox(*pieces, out)  # the last piece's pad is trimmed with the line's trailing silence


SYNTHS: dict[str, Callable[[str, Path, float, Path], None]] = {
    "festival": synth_festival,
    "flite": partial(synth_in_phrases, say_flite),
    "espeak-ng": partial(synth_in_phrases, say_espeak),
}


def synthesise(text: str, out: Path, speed: float, work: Path,
               engines: tuple[str, ...] = ENGINES) -> str:
    """Write speech for `text` at `speed` to `out` with the first engine that works; return its name."""
    failures = []
    for name in engines:
        out.unlink(missing_ok=True)
        try:
            SYNTHS[name](text, out, speed, work)
        except (OSError, subprocess.CalledProcessError, RuntimeError) as exc:
            failures.append(f"{name}: {exc}")
            continue
        # festival exits 0 even when the voice is missing; it then writes nothing.
        if out.is_file() and out.stat().st_size > 1000:
            return name
        failures.append(f"{name}: no audio written")
    raise RuntimeError("no TTS engine worked: " + "; ".join(failures))


def sox(*args: str | Path) -> str:
    """Run sox with `args`; return its stderr (where `stats` reports).

    -R seeds the dither the same every run, so regenerating a clip gives the same bytes.
    """
    done = subprocess.run(["sox", "-R", *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"sox failed: {done.stderr.strip()}")
    return done.stderr


def measure(path: Path) -> Stats:
    """Length, RMS and peak level of a WAV, from `sox ... stats`."""
    report = sox(path, "-n", "stats")

    def field(label: str) -> float:
        match = re.search(rf"^{re.escape(label)}\s+(-?[\d.]+|-inf)", report, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"sox stats gave no '{label}' for {path}")
        return float(match.group(1))

    return Stats(field("Length s"), field("RMS lev dB"), field("Pk lev dB"))


def loudness_effects(gain: float, peak_db: float) -> list[str]:
    """sox effects raising a clip by `gain` dB, with a peak limiter when it would pass the ceiling."""
    effects = ["gain", f"{gain:.2f}"]
    if peak_db + gain <= CEILING_DB - 0.5:
        return effects
    # The limiter runs before the gain, so nothing clips inside sox. Measured after the gain
    # it is unity up to 1 dB under the ceiling and flat half a dB under it: instant attack,
    # 50 ms release, 1 ms look-ahead.
    knee, top = CEILING_DB - 1.0 - gain, CEILING_DB - 0.5 - gain
    transfer = f"1:-90,-90,{knee:.2f},{knee:.2f},0,{top:.2f}"
    return ["compand", "0,0.05", transfer, "0", f"{knee:.2f}", "0.001", *effects]


def condition(raw: Path, out: Path, work: Path) -> Stats:
    """Mono 22050 Hz 16-bit, silence trimmed, loudness normalised: `raw` -> `out`."""
    trimmed = work / "trimmed.wav"
    sox("-G", raw, "-c", "1", "-b", "32", "-e", "floating-point", trimmed,
        "rate", "-v", str(RATE),
        # Trim the start, fade in 5 ms; reversed, the same trims the end and fades out 20 ms.
        "silence", "1", "0.005", SILENCE, "fade", "0.005",
        "reverse", "silence", "1", "0.005", SILENCE, "fade", "0.02", "reverse")
    before = measure(trimmed)
    if before.rms_db == float("-inf"):
        raise RuntimeError(f"{raw} is silent")
    gain = TARGET_RMS_DB - before.rms_db
    for _ in range(3):  # limiting peaks lowers the RMS a little: raise the gain to make up
        sox(trimmed, "-b", "16", "-e", "signed-integer", out,
            *loudness_effects(gain, before.peak_db))
        stats = measure(out)
        if abs(stats.rms_db - TARGET_RMS_DB) < 0.2:
            break
        gain += TARGET_RMS_DB - stats.rms_db
    if stats.peak_db > CEILING_DB:  # last resort: lower the whole clip under the ceiling
        sox(trimmed, "-b", "16", "-e", "signed-integer", out,
            *loudness_effects(gain + CEILING_DB - 0.05 - stats.peak_db, before.peak_db))
        stats = measure(out)
    return stats


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit mono WAV's samples (float, full scale 1) and its rate."""
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth()) != (1, 2):
            raise ValueError(f"{path}: not 16-bit mono")
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return x.astype(np.float64) / 32768.0, w.getframerate()


def frame_levels_db(x: np.ndarray, rate: int) -> np.ndarray:
    """RMS level (dBFS) of each FRAME_S frame of `x` (a last partial frame is dropped)."""
    n = int(round(FRAME_S * rate))
    frames = x[: len(x) // n * n].reshape(-1, n)
    return 10.0 * np.log10(np.mean(frames ** 2, axis=1) + 1e-20)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def silent_frames(x: np.ndarray, rate: int) -> np.ndarray:
    """Whether each FRAME_S frame of `x` is SILENT_DB or more under the clip's RMS."""
    clip_db = 10.0 * np.log10(np.mean(x ** 2) + 1e-20)
    return frame_levels_db(x, rate) < clip_db + SILENT_DB


def pace(x: np.ndarray, rate: int, text: str) -> Pace:
    """Words a minute and pauses of the clip `x` saying `text`, from its samples."""
    silent = silent_frames(x, rate)
    sounding = np.flatnonzero(~silent)
    words = len(re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", text))
    if len(sounding) == 0:
        return Pace(len(x) / rate, 0.0, words, ())
    first, last = int(sounding[0]), int(sounding[-1]) + 1
    shortest = int(round(MIN_PAUSE_S / FRAME_S))
    pauses = tuple(((first + a) * FRAME_S, (b - a) * FRAME_S)
                   for a, b in runs(silent[first:last]) if b - a >= shortest)
    return Pace(len(x) / rate, (last - first) * FRAME_S, words, pauses)


@dataclass(frozen=True)
class Line:
    """One clip made: the engine and HTS rate that said it, its levels and its pace."""

    engine: str
    speed: float
    stats: Stats
    pace: Pace


def make_line(text: str, out: Path, engines: tuple[str, ...] = ENGINES) -> Line:
    """Synthesise and condition one line into `out`, slowed until it is at most TARGET_WPM."""
    out.parent.mkdir(parents=True, exist_ok=True)
    speed = BASE_SPEED
    with tempfile.TemporaryDirectory(prefix="ribsdown-tts-") as tmp:
        work = Path(tmp)
        raw = work / "raw.wav"
        for _ in range(4):  # durations scale as 1/speed: one step lands within a few percent
            engine = synthesise(text, raw, speed, work, engines)
            stats = condition(raw, out, work)
            found = pace(*read_wav(out), text)
            if found.wpm <= TARGET_WPM or speed <= MIN_SPEED:
                break
            speed = max(MIN_SPEED, speed * TARGET_WPM / found.wpm * 0.98)
    return Line(engine, speed, stats, found)


def describe(name: str, text: str, line: Line) -> str:
    """One line for the terminal: the clip's length, pace, pauses and levels."""
    pauses = ", ".join(f"{length * 1000:.0f} ms at {start:.2f} s"
                       for start, length in line.pace.pauses) or "none"
    return (f"{name:<18} {line.engine:<9} rate {line.speed:.2f}  {line.pace.length_s:4.2f} s  "
            f"{line.pace.wpm:3.0f} words/min over {line.pace.speech_s:4.2f} s of speech "
            f"({line.pace.articulation_wpm:3.0f} without the pauses)  "
            f"pauses: {pauses}  RMS {line.stats.rms_db:5.1f} dBFS  peak {line.stats.peak_db:4.1f} dBFS"
            f"  {text!r}")


def problems(text: str, line: Line) -> list[str]:
    """What is wrong with a made clip's pace: too fast, or a comma or dash said without a pause."""
    found = []
    if line.pace.wpm > MAX_WPM:
        found.append(f"{line.pace.wpm:.0f} words/min is over {MAX_WPM:.0f}")
    if len(line.pace.pauses) < len(phrases(text)) - 1:
        found.append(f"{len(phrases(text)) - 1} breaks in the text, "
                     f"{len(line.pace.pauses)} pauses in the clip")
    return found


def read_cues(rules: Path) -> list[tuple[str, str]]:
    """(text, voice file name) of every [[cue]] and the [praise] line in the rules file."""
    with rules.open("rb") as f:
        table = tomllib.load(f)
    lines = table.get("cue", []) + ([table["praise"]] if "praise" in table else [])
    return [(line["text"], line["voice"]) for line in lines]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=RULES, help="cue table (TOML)")
    parser.add_argument("--voice-dir", type=Path, default=VOICE_DIR, help="where clips go")
    parser.add_argument("--text", help="one-off line to speak (needs --out)")
    parser.add_argument("--out", type=Path, help="WAV to write for --text")
    parser.add_argument("--engine", choices=ENGINES, help="use only this engine")
    args = parser.parse_args(argv)
    if (args.text is None) != (args.out is None):
        parser.error("--text and --out go together")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("sox") is None:
        print("make_voices: sox is not installed (apt-get install sox)", file=sys.stderr)
        return 2
    engines = (args.engine,) if args.engine else ENGINES
    try:
        lines = [(args.text, args.out)] if args.text else [
            (text, args.voice_dir / voice) for text, voice in read_cues(args.rules)
        ]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        print(f"make_voices: cannot read cues from {args.rules}: {exc!r}", file=sys.stderr)
        return 2
    status = 0
    for text, out in lines:
        try:
            line = make_line(text, out, engines)
        except RuntimeError as exc:
            print(f"make_voices: {out.name}: {exc}", file=sys.stderr)
            return 1
        print(describe(out.name, text, line))
        for problem in problems(text, line):
            print(f"make_voices: {out.name}: {problem}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
