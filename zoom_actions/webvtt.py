"""WebVTT, as Zoom writes its cloud-recording transcripts, to cues and text.

Zoom's ``TRANSCRIPT`` (and ``CC``) files are WebVTT: a ``WEBVTT`` header,
then blocks of an optional cue number, a timing line
(``00:00:07.000 --> 00:00:13.000``) and the payload, whose speaker is a
``Name: `` prefix (other tools write a ``<v Name>`` voice tag; both are
read). :func:`parse` turns that into ``[{start, end, speaker, text}]``;
:func:`plain_text` into one ``speaker: text`` line per cue.

Written here rather than taken from a package: the format Zoom emits is
small, the parser is some sixty lines with no dependency, and it must
never fail on a file it only half understands (NOTE, STYLE and REGION
blocks, cue settings, inline tags, CRLF, a BOM are all skipped or stripped;
a block without a valid timing line is ignored, not fatal).
"""

from __future__ import annotations

import html
import re

_TIMING = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(?:\s+.*)?$")
_VOICE = re.compile(r"^<v(?:\.[^\s>]+)*\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]*>")
_SPEAKER = re.compile(r"^([^:\n]{1,80}?):\s+(.*)$", re.S)


def timestamp(value: str) -> str:
    """``1:02.5`` or ``00:01:02,500`` -> ``00:01:02.500``."""
    value = value.replace(",", ".")
    clock, _, frac = value.partition(".")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    h, m, s = parts[-3:]
    return f"{h:02d}:{m:02d}:{s:02d}.{(frac + '000')[:3]}"


def _speaker_and_text(payload: str) -> tuple[str | None, str]:
    speaker = None
    voice = _VOICE.match(payload)
    if voice:
        speaker = voice.group(1).strip()
    text = html.unescape(_TAG.sub("", payload)).strip()
    if speaker is None:
        named = _SPEAKER.match(text)
        # "Name: words" is Zoom's speaker label; a label holding sentence punctuation or a URL is not a name
        if named and not re.search(r"[.?!/]|https?", named.group(1)):
            speaker, text = named.group(1).strip(), named.group(2).strip()
    return speaker, re.sub(r"\s+", " ", text)


def parse(vtt: str) -> list[dict]:
    """The cues of a WebVTT document, in order: ``{start, end, speaker, text}``."""
    text = vtt.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = re.split(r"\n[ \t]*\n", text)
    cues: list[dict] = []
    for i, block in enumerate(blocks):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        if i == 0 and lines[0].startswith("WEBVTT"):
            lines = lines[1:]   # the header block may also hold header lines (Kind:, Language:)
            if not any("-->" in ln for ln in lines):
                continue
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        at = next((j for j, ln in enumerate(lines[:2]) if "-->" in ln), None)
        if at is None:
            continue
        timing = _TIMING.match(lines[at])
        if timing is None:
            continue
        payload = "\n".join(lines[at + 1:])
        speaker, said = _speaker_and_text(payload)
        if not said:
            continue
        cues.append({"start": timestamp(timing.group(1)), "end": timestamp(timing.group(2)),
                     "speaker": speaker, "text": said})
    return cues


def plain_text(cues: list[dict]) -> str:
    """One ``speaker: text`` line per cue (the text alone when the speaker is unknown)."""
    return "\n".join(f"{c['speaker']}: {c['text']}" if c.get("speaker") else c["text"] for c in cues)


def speakers(cues: list[dict]) -> list[str]:
    return list(dict.fromkeys(c["speaker"] for c in cues if c.get("speaker")))
