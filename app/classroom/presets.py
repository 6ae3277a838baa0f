"""What the teacher can push: a lab and its state. A lab keeps its state in the query string, so a
push is a URL on this server; the presets are the lecture's moments, and any lab URL the teacher
has open (copied from the address bar) can be pushed as it is.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from app.i18n import LANGUAGES, translate

# The labs a class can be sent to, and where they live (a lab that registers itself with the same
# slug in app/labs wins, so a renamed path follows).
LAB_PATHS = {"digits": "/digits", "neuron": "/neuron", "descent": "/descent", "train": "/train", "photos": "/photos",
             "text": "/text"}
MAX_STATE_KEYS = 40
MAX_URL = 2000


@dataclass(frozen=True)
class Preset:
    id: str
    lab: str
    state: dict[str, Any] = field(default_factory=dict)
    label_key: str = ""


PRESETS = [
    Preset("neuron-w12-b1", "neuron", {"w": [1, 2], "b": 1}, "classroom.preset_neuron"),
    Preset("digits-draw-7", "digits", {"target": 7}, "classroom.preset_draw7"),
    Preset("digits-draw-3", "digits", {"target": 3}, "classroom.preset_draw3"),
    Preset("descent-eta", "descent", {"loss": "quadratic", "eta": 0.1}, "classroom.preset_descent"),
    Preset("train-cnn", "train", {"architecture": "cnn", "blocks": 2, "filters": [16, 32], "dense_count": 1,
                                  "dense": [64], "optimizer": "adam", "loss": "categorical_crossentropy",
                                  "learning_rate": 0.001, "epochs": 2}, "classroom.preset_train"),
    Preset("photos", "photos", {}, "classroom.preset_photos"),
    Preset("text-moon", "text", {"prompt": "床前明月", "temperature": 0, "length": 24}, "text.preset_push"),
]


class BadPush(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def lab_paths(installed: dict[str, str] | None = None) -> dict[str, str]:
    """The labs a teacher may push: those of LAB_PATHS installed on this server (a push to a
    missing lab would be a 404). `installed`: slug → path of the server's labs, which create_app()
    hands to install() (app/classroom/__init__.py); None: all of LAB_PATHS."""
    if installed is None:
        return dict(LAB_PATHS)
    return {slug: path for slug, path in installed.items() if slug in LAB_PATHS}


def available_presets(paths: dict[str, str] | None = None) -> list[Preset]:
    paths = lab_paths(paths)
    return [p for p in PRESETS if p.lab in paths]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise BadPush("classroom.bad_state")


def build_push(lab: str, state: dict[str, Any], note: dict[str, str] | None = None,
               paths: dict[str, str] | None = None) -> dict[str, Any]:
    """{"id", "lab", "url", "sent_at", "note"} for a lab and its state (lists become repeated keys);
    the note ("Everyone: draw a 7", per language) is shown on the students' badge."""
    paths = lab_paths(paths)
    if lab not in paths:
        raise BadPush("classroom.bad_lab")
    if not isinstance(state, dict) or len(state) > MAX_STATE_KEYS:
        raise BadPush("classroom.bad_state")
    pairs: list[tuple[str, str]] = []
    for key, value in state.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((str(key), _scalar(item)))
    query = urlencode(pairs)
    url = paths[lab] + (f"?{query}" if query else "")
    if len(url) > MAX_URL:
        raise BadPush("classroom.bad_state")
    return {"id": uuid.uuid4().hex[:12], "lab": lab, "url": url, "sent_at": time.time(), "note": note or {}}


def push_from_url(text: str, note: dict[str, str] | None = None, paths: dict[str, str] | None = None) -> dict[str, Any]:
    """A lab URL the teacher copied ("http://…/neuron?w1=1&b=1" or "/neuron?…") → a push."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("", "http", "https") or (parts.netloc and not parts.scheme) or "\\" in text:
        raise BadPush("classroom.bad_url")  # javascript:…, //other-host/…: not a link a teacher copied from a lab
    paths = lab_paths(paths)
    for lab, path in paths.items():
        if parts.path.rstrip("/") == path:
            state: dict[str, Any] = {}
            for key, value in parse_qsl(parts.query, keep_blank_values=True):
                state.setdefault(key, []).append(value)
            return build_push(lab, {k: v[0] if len(v) == 1 else v for k, v in state.items()}, note, paths)
    raise BadPush("classroom.bad_url")


def preset_note(preset: Preset) -> dict[str, str]:
    return {lang: translate(preset.label_key, lang) for lang in LANGUAGES}


def digit_target(push: dict[str, Any]) -> int | None:
    """ "Everyone: draw a 7" — the digit the class was asked for, to count how often the network
    read it right."""
    if push.get("lab") != "digits":
        return None
    for key, value in parse_qsl(urlsplit(push["url"]).query):
        if key in ("target", "digit") and value.isdigit() and int(value) <= 9:
            return int(value)
    return None
