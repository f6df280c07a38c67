"""Generate the coaching voice clips in assets/voice/ from cues/rules.toml.

Run by hand after changing a cue's text:

    python assets/make_voices.py                       # every [[cue]] and [praise] in cues/rules.toml
    python assets/make_voices.py --text "Ribs down" --out /tmp/line.wav

Speech comes from festival's HTS voice (cmu_us_slt_arctic_hts), else flite (slt), else
espeak-ng. sox then makes every clip mono, 22050 Hz, 16-bit, trims leading and trailing
silence and brings all lines to one loudness (RMS about -18 dBFS, peaks below -1 dBFS).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Stats:
    """What `sox FILE -n stats` says about a clip."""

    length_s: float
    rms_db: float
    peak_db: float


def synth_festival(text: str, out: Path) -> None:
    """Speak `text` into `out` with festival's HTS voice."""
    subprocess.run(
        ["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", str(out)],
        input=text, text=True, check=True, capture_output=True,
    )


def synth_flite(text: str, out: Path) -> None:
    """Speak `text` into `out` with flite's slt voice."""
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", str(out)],
                   check=True, capture_output=True)


def synth_espeak(text: str, out: Path) -> None:
    """Speak `text` into `out` with espeak-ng (US English)."""
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(out), text],
                   check=True, capture_output=True)


SYNTHS = {"festival": synth_festival, "flite": synth_flite, "espeak-ng": synth_espeak}


def synthesise(text: str, out: Path, engines: tuple[str, ...] = ENGINES) -> str:
    """Write speech for `text` to `out` with the first engine that works; return its name."""
    failures = []
    for name in engines:
        out.unlink(missing_ok=True)
        try:
            SYNTHS[name](text, out)
        except (OSError, subprocess.CalledProcessError) as exc:
            failures.append(f"{name}: {exc}")
            continue
        # text2wave exits 0 even when the voice is missing; it then writes nothing.
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


def make_line(text: str, out: Path, engines: tuple[str, ...] = ENGINES) -> tuple[str, Stats]:
    """Synthesise and condition one line into `out`; return (engine, stats)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ribsdown-tts-") as tmp:
        work = Path(tmp)
        raw = work / "raw.wav"
        engine = synthesise(text, raw, engines)
        stats = condition(raw, out, work)
    return engine, stats


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
    for text, out in lines:
        try:
            engine, stats = make_line(text, out, engines)
        except RuntimeError as exc:
            print(f"make_voices: {out.name}: {exc}", file=sys.stderr)
            return 1
        print(f"{out.name:<24} {engine:<9} {stats.length_s:5.2f} s  "
              f"RMS {stats.rms_db:6.1f} dBFS  peak {stats.peak_db:5.1f} dBFS  {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
