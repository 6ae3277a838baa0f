"""The labs, and where each sits among the lecture's six steps of doing AI.

A lab is a module in this package with a `router` and a `LAB` describing it. To add a lab, write
the module and add its name to LAB_MODULES; the home page's map and the navigation follow.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Lab:
    slug: str
    path: str
    title_key: str
    summary_key: str
    steps: tuple[int, ...]  # which of the six steps (1–6) this lab teaches
    icon: str = "•"


# Order = the lecture's order, which the home page's lab list follows. digits_live (no page of its own)
# comes first: a hall's phones call its one route ~700 times a second, and routes match in this order.
LAB_MODULES = ["digits_live", "home", "prefs", "photos", "neuron", "descent", "descent_three", "softmax", "fit", "playground", "digits", "conv",
               "conv_digit", "train", "rnn", "text", "classifiers", "rl", "gan", "classroom"]


def lab_modules() -> list[ModuleType]:
    return [importlib.import_module(f"app.labs.{name}") for name in LAB_MODULES]


def all_labs() -> list[Lab]:
    return [m.LAB for m in lab_modules() if getattr(m, "LAB", None) is not None]
