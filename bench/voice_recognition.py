"""Listen to the voice lines through an offline recogniser: which of each line's words it hears.

PocketSphinx (PyPI `pocketsphinx>=5,<6`, `pip install -e ".[voice]"`) with the US English
acoustic model, dictionary and general language model inside its wheel: nothing is
downloaded. It is told nothing about the line: it hears open English, as a runner who does
not know the cues would. Each clip is resampled 22050 -> 16000 Hz (the model's rate) and
decoded whole. A word of the line counts as heard when the hypothesis holds it (each
hypothesis word matched once); content words leave out "the", "from", "it", "that", "that's".

`--vocabulary cues` is the listener who knows the coach's lines (the banner shows them): any
sequence of the words of the rules' lines, no language model, so each word must still beat
every other word of the cues on its sounds alone.

Run by hand:

    .venv/bin/python bench/voice_recognition.py                         # assets/voice, cues/rules.toml
    .venv/bin/python bench/voice_recognition.py --voice-dir OLD --rules OLD_RULES.toml
    .venv/bin/python bench/voice_recognition.py --vocabulary cues
"""

from __future__ import annotations

import argparse
import re
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "assets"))
from make_voices import RULES, VOICE_DIR, read_cues  # noqa: E402

MODEL_RATE = 16000
FUNCTION_WORDS = frozenset({"the", "from", "it", "that", "that's"})


def words(text: str) -> list[str]:
    """The lower-case words of `text` (an apostrophe inside a word kept)."""
    return re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower())


def heard(line: list[str], hypothesis: list[str]) -> list[str]:
    """The words of `line` found in `hypothesis`, each hypothesis word used once."""
    left, found = list(hypothesis), []
    for word in line:
        if word in left:
            left.remove(word)
            found.append(word)
    return found


def samples_16k(path: Path) -> bytes:
    """A 16-bit mono WAV resampled to the model's 16 kHz, as raw little-endian samples."""
    from scipy.signal import resample_poly  # here: bench/voice_whisper.py imports this module without scipy

    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    divisor = np.gcd(MODEL_RATE, rate)
    y = resample_poly(x, MODEL_RATE // divisor, rate // divisor)
    return np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes()


def word_loop(vocabulary: list[str]) -> str:
    """A JSGF grammar: any sequence of `vocabulary`'s words."""
    return ("#JSGF V1.0;\ngrammar cues;\npublic <line> = <word>+;\n<word> = "
            + " | ".join(sorted(set(vocabulary))) + ";\n")


def recognise(path: Path, vocabulary: list[str] | None = None) -> str:
    """What the recogniser hears in one clip: open English, or only `vocabulary`'s words. A
    fresh decoder for each clip: its cepstral mean would carry over from the clip before."""
    from pocketsphinx import Decoder  # the package's own model: no download

    decoder = Decoder(loglevel="FATAL")
    if vocabulary is not None:
        decoder.add_jsgf_string("cues", word_loop(vocabulary))
        decoder.activate_search("cues")
    decoder.start_utt()
    decoder.process_raw(samples_16k(path), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=RULES, help="cue table (TOML)")
    parser.add_argument("--voice-dir", type=Path, default=VOICE_DIR, help="the clips")
    parser.add_argument("--vocabulary", choices=("open", "cues"), default="open",
                        help="open English (default) or only the words of the rules' lines")
    args = parser.parse_args(argv)
    lines = read_cues(args.rules)
    vocabulary = None if args.vocabulary == "open" else [w for t, _ in lines for w in words(t)]
    totals = np.zeros(4, dtype=int)  # words heard, words, content heard, content words
    for text, voice in lines:
        line, hypothesis = words(text), recognise(args.voice_dir / voice, vocabulary)
        content = [w for w in line if w not in FUNCTION_WORDS]
        found = heard(line, words(hypothesis))
        found_content = heard(content, words(hypothesis))
        counts = np.array([len(found), len(line), len(found_content), len(content)])
        totals += counts
        print(f"{voice:<18} words {counts[0]}/{counts[1]}  content {counts[2]}/{counts[3]}  "
              f"heard {hypothesis!r}  said {text!r}")
    print(f"{'all':<18} words {totals[0]}/{totals[1]}  content {totals[2]}/{totals[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
