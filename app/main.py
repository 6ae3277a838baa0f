"""create_app(): routers, templates, static files, lifespan — nothing else."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.middleware.gzip import GZipMiddleware

from app.classroom import install as install_classroom
from app.labs import all_labs, lab_modules
from app.ml.registry import ModelRegistry
from app.settings import Settings, get_settings
from app.openapi import documented_errors
from app.security import SecurityMiddleware, docs_csp
from app.tables import init_db
from app.uploads import DEFAULT_MAX_BODY
from app.web import STATIC_DIR, BrowserIdMiddleware, SecurityHeadersMiddleware, VersionedStatic, install_error_handlers


# Models every request may need: loaded once at start-up, never per request.
WARM_MODELS: list[str] = ["digits-cnn", "digits-dnn", "imagenet-mobilenet-v2"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        init_db(settings.database_url_resolved)
        app.state.registry = ModelRegistry(settings)
        app.state.registry.warm(WARM_MODELS)
        gc.freeze()  # what start-up made lives as long as the process: full GC passes need not scan it (~150 ms)
        yield

    app = FastAPI(
        title="AI Playground 函數學習機",
        summary="JSON API of the labs; every page uses the same functions.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.result_listeners = []  # see app/events.py
    # result listener, per-student rate limits, class event streams; what a teacher may push
    install_classroom(app, {lab.slug: lab.path for lab in all_labs()})
    app.dependency_overrides[get_settings] = lambda: settings
    for module in lab_modules():  # every body stops at DEFAULT_MAX_BODY while it streams in, unless its route says
        app.include_router(module.router, max_body_size=DEFAULT_MAX_BODY)
    app.mount("/static", VersionedStatic(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs():  # Swagger UI from static/, not a CDN
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="AI Playground API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        page.headers["Content-Security-Policy"] = docs_csp(page.body.decode())
        return page

    app.openapi = documented_errors(app)  # errors as the app sends them (app/openapi.py)
    install_error_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(BrowserIdMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=500)  # classroom Wi-Fi: HTML/JSON/JS/CSS ~4× smaller; SSE is left alone
    app.add_middleware(SecurityMiddleware)  # outermost: cross-site requests stop here (app/security.py)
    return app
