"""Dependency aliases for route signatures: `def page(settings: SettingsDep, models: ModelsDep): ...`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.i18n import Translator
from app.ml.registry import ModelRegistry
from app.settings import Settings, get_settings
from app.web import browser_id, translator


def get_registry(request: Request) -> ModelRegistry:
    """The app's model registry, made in the lifespan (app.state.registry)."""
    return request.app.state.registry


SettingsDep = Annotated[Settings, Depends(get_settings)]
TranslatorDep = Annotated[Translator, Depends(translator)]
BrowserIdDep = Annotated[str, Depends(browser_id)]
ModelsDep = Annotated[ModelRegistry, Depends(get_registry)]
