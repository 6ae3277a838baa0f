"""ImageNet's 1000 classes (ILSVRC-2012) in English and Traditional Chinese.

`class_index` is always the standard 0–999 order. Some model files have 1001 outputs with
"background" first (the TF-slim / Coral models): their manifest says `"label_offset": 1`, and
output i is class i − 1. The English names here are the first WordNet name of each line of those
models' labels file (tests check they match), so serving needs no labels file.

The Chinese names live in `data/imagenet_zh_tw.tsv` (index, English, 繁體中文), one class a line,
so a teacher can fix a name without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

NUM_CLASSES = 1000
ZH_FILE = Path(__file__).with_name("data") / "imagenet_zh_tw.tsv"

# Classes the lecture talks about; the page shows a note for these (keys in app/locales/photos.toml).
NOTES = {295: "photos.note_295"}  # 美洲黑熊: 台灣黑熊 is its close cousin (not an ImageNet class)
BEAR_CLASSES = frozenset({294, 295, 296, 297})  # brown, American black, ice (polar) and sloth bear


@dataclass(frozen=True)
class ImageNetClass:
    index: int
    en: str
    zh: str


@lru_cache
def classes() -> tuple[ImageNetClass, ...]:
    """The 1000 classes in order, from the translation table."""
    rows = []
    for line in ZH_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        index, en, zh = line.split("\t")
        rows.append(ImageNetClass(int(index), en, zh))
    if [c.index for c in rows] != list(range(NUM_CLASSES)):
        raise ValueError(f"{ZH_FILE} must list classes 0–{NUM_CLASSES - 1} in order")
    return tuple(rows)


def english_name(label_line: str) -> str:
    """"American black bear, black bear, Ursus americanus" → "American black bear"."""
    return label_line.split(", ")[0].strip()

