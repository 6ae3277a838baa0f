"""`playground fetch-models`: downloads into the cache (checked against sha256), falls back to the
assets folder when offline, and says clearly what is missing. The "internet" is a local server."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading

import pytest

from app.cli import main
from app.ml.fetch import fetch_models
from app.ml.registry import ModelRegistry
from app.settings import Settings


@pytest.fixture
def web(tmp_path):
    """A tiny web server on 127.0.0.1 serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def write_manifest(folder, url, sha256, asset=None):
    folder.mkdir(exist_ok=True)
    (folder / "m.json").write_text(json.dumps({
        "id": "m", "task": "photos", "engine": "litert", "download": {"url": url, "sha256": sha256},
        **({"asset": asset} if asset else {})}))


def test_downloads_into_the_cache_once(tmp_path, web):
    root, base = web
    (root / "model.tflite").write_bytes(b"weights" * 1000)
    sha = hashlib.sha256(b"weights" * 1000).hexdigest()
    write_manifest(tmp_path / "models", f"{base}/model.tflite", sha)
    registry = ModelRegistry(Settings(data_dir=tmp_path / "data"), builtin_dir=tmp_path / "models")
    lines = []
    assert fetch_models(registry, lines.append) == 0
    assert (tmp_path / "data" / "cache" / "model.tflite").read_bytes() == b"weights" * 1000
    assert "downloaded" in lines[0]
    (root / "model.tflite").unlink()  # the second time needs no internet
    assert fetch_models(registry, lines.append) == 0 and "already" in lines[-1]


def test_a_download_with_the_wrong_hash_is_not_kept(tmp_path, web):
    root, base = web
    (root / "model.tflite").write_bytes(b"tampered")
    write_manifest(tmp_path / "models", f"{base}/model.tflite", "0" * 64)
    registry = ModelRegistry(Settings(data_dir=tmp_path / "data"), builtin_dir=tmp_path / "models")
    lines = []
    assert fetch_models(registry, lines.append) == 1
    assert not list((tmp_path / "data" / "cache").glob("*"))
    assert "sha256" in lines[0] and "Are you online?" in lines[0]


def test_offline_with_an_assets_folder_copies_from_it(tmp_path, shared):
    asset = "models/imagenet/imagenet_labels.txt"
    sha = hashlib.sha256((shared / asset).read_bytes()).hexdigest()
    write_manifest(tmp_path / "models", "http://127.0.0.1:9/imagenet_labels.txt", sha, asset=asset)  # port 9: nobody
    registry = ModelRegistry(Settings(data_dir=tmp_path / "data", assets_dir=shared), builtin_dir=tmp_path / "models")
    lines = []
    assert fetch_models(registry, lines.append) == 0
    assert "offline, copied" in lines[0]
    assert (tmp_path / "data" / "cache" / "imagenet_labels.txt").read_bytes() == (shared / asset).read_bytes()


def test_the_command_says_what_is_missing_when_offline(tmp_path, monkeypatch, capsys):
    """The real manifests, no assets folder, and an address that cannot be reached."""
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PLAYGROUND_ASSETS_DIR", raising=False)
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # no internet, whatever the machine has
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["fetch-models"]) == 1
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "✗ imagenet-mobilenet-v2" in out and "Are you online?" in out and "PLAYGROUND_ASSETS_DIR" in out
    assert "還有" in out
