"""Classroom fixtures: settings with a teacher token, helpers to open a class and join it, and a
real server (for the event streams) shared by the module that asks for it."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from app.settings import Settings
from tests.conftest import LiveServer

TEACHER = "teacher-secret-for-tests"
AS_TEACHER = {"Authorization": f"Bearer {TEACHER}"}


@pytest.fixture
def settings(tmp_path, shared) -> Settings:
    return Settings(data_dir=tmp_path / "data", assets_dir=shared, workers=0, teacher_token=TEACHER)


def open_class(client) -> str:
    r = client.post("/api/classes", headers=AS_TEACHER)
    assert r.status_code == 201, r.text
    return r.json()["code"]


def digit_png(digit: int = 7) -> bytes:
    """A canvas-like drawing: thick black strokes on white, like the digit lab's 280×280 canvas."""
    image = Image.new("L", (280, 280), 255)
    draw = ImageDraw.Draw(image)
    strokes = {7: [(70, 60), (210, 60), (120, 230)], 1: [(140, 50), (140, 230)], 0: [(140, 50), (200, 140), (140, 230), (80, 140), (140, 50)]}
    draw.line(strokes.get(digit, strokes[7]), fill=0, width=24, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def classroom_server(tmp_path_factory, shared):
    server = LiveServer(tmp_path_factory.mktemp("classroom") / "data", extra_env={"PLAYGROUND_TEACHER_TOKEN": TEACHER})
    yield server
    server.stop()
