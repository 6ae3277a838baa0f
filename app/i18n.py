"""Traditional Chinese (default) and English.

The catalogue is every `app/locales/*.toml` file, one per lab, merged. An entry is a table with
one string per language, so a translator sees both side by side:

    [neuron]
    title = { zh-TW = "一個神經元", en = "One neuron" }

gives the key "neuron.title". Strings are str.format templates: "{n} 個輸入".
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("zh-TW", "en")
DEFAULT_LANGUAGE = "zh-TW"
LOCALES_DIR = Path(__file__).parent / "locales"


def _flatten(table: dict, prefix: str, out: dict[str, dict[str, str]], source: str) -> None:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and set(value) <= set(LANGUAGES) and value:
            if key in out:
                raise ValueError(f"i18n key {key!r} defined twice ({source})")
            out[key] = value
        elif isinstance(value, dict):
            _flatten(value, f"{key}.", out, source)
        else:
            raise ValueError(f"i18n key {key!r} in {source} is not a {{zh-TW, en}} table")


@lru_cache
def catalogue() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES_DIR.glob("*.toml")):
        with path.open("rb") as f:
            _flatten(tomllib.load(f), "", out, path.name)
    return out


def translate(key: str, lang: str, /, **params) -> str:
    entry = catalogue().get(key)
    if entry is None:
        return key  # a missing key shows itself; tests check that none are missing
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text


class Translator:
    """Bound to one language; templates call it as `_("key", n=3)`."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **params) -> str:
        return translate(key, self.lang, **params)

    def many(self, *keys: str) -> dict[str, str]:
        """Strings a page's JavaScript needs, as one dict."""
        return {key: self(key) for key in keys}


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The cookie wins; then the first Accept-Language tag we speak; then zh-TW."""
    if cookie in LANGUAGES:
        return cookie
    weighted = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        weighted.append((-weight, i, tag.strip().lower()))
    for _w, _i, tag in sorted(weighted):
        if tag.startswith("zh"):
            return "zh-TW"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE
