"""One name per lab (docs/architecture.md): every lab file, in every folder, starts with the name of
a lab in LAB_MODULES, so a newcomer who opens `…/descent…` finds the whole descent lab. The few
files every page shares are listed here by name; a new one has to be added on purpose."""

from __future__ import annotations

import re

import pytest

from app.labs import LAB_MODULES
from tests.conftest import ROOT

SHARED = {
    "static/js": {"app", "plot", "nn"},                    # every page; the charts; the in-browser MLP engine
    "static/css": {"app", "labs"},                         # every page; what the stepped labs share
    "templates": {"base", "error"},
    "templates/partials": {"chart.svg", "error", "stepper"},
    "app/locales": {"common"},
    "app/labs": {"__init__", "forms"},
    "tests/labs": {"__init__"},
    "tests/browser": {"__init__", "pages", "nn_parity", "csp", "layout", "taps", "console"},  # every page at both
                                                       # sizes; nn.js against app/nn; the real CSP; the layout
                                                       # checks; a tap and its answer on screen; a clean console
}
NAME = re.compile(r"^[a-z0-9_.]+$")


def lab_of(stem: str) -> str | None:
    """The longest lab name the file's name starts with (conv_digit before conv)."""
    for lab in sorted(LAB_MODULES, key=len, reverse=True):
        if stem == lab or stem.startswith(lab + "_"):
            return lab
    return None


@pytest.mark.parametrize("folder", sorted(SHARED))
def test_every_lab_file_starts_with_its_lab_name(folder):
    strays = []
    for path in sorted((ROOT / folder).iterdir()):
        if path.name.startswith(".") or path.name == "__pycache__" or path.relative_to(ROOT).as_posix() in SHARED:
            continue
        stem = path.name.split(".")[0] if path.suffix != ".html" else path.name.removesuffix(".html")
        if folder.startswith("tests/"):
            stem = stem.removeprefix("test_").removesuffix("_browser").removesuffix("_api")
        if path.is_dir():
            stem = path.name
        assert NAME.match(path.name), f"{folder}/{path.name}: names are lower case with _ (no -)"
        if stem not in SHARED[folder] and lab_of(stem) is None:
            strays.append(path.name)
    assert strays == [], f"{folder}: files named after no lab in LAB_MODULES (or add them to SHARED): {strays}"

