"""`playground fetch-models`: put every built-in model's files into the download cache now, so a
workshop laptop needs no internet later (bad Wi-Fi, a LAN without internet).

For each manifest in models/ and each downloadable file (`download`, `labels_download`):
already in the cache (hash checked) → nothing to do; else download it (hash checked); when that
fails and the assets folder (PLAYGROUND_ASSETS_DIR) has the file with the right hash, copy it in.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from app.ml.registry import ModelNotAvailable, ModelRegistry, fetch, sha256_of

FILES = (("file", "asset", "download"), ("labels_file", "labels_asset", "labels_download"))


def fetch_models(registry: ModelRegistry, say: Callable[[str], None] = print) -> int:
    """Fill the cache; report each file in one line. Returns the number of files still missing."""
    settings = registry.settings
    cache = settings.data_dir / "cache"
    missing = 0
    for manifest in registry.manifests():
        for file_key, asset_key, download_key in FILES:
            local = manifest.get(file_key)
            if local and (manifest.folder / local).exists():
                say(f"✓ {manifest.id}: {local} is in the project (models/)")
                continue
            dl = manifest.get(download_key)
            if not dl:
                if local:
                    say(f"✗ {manifest.id}: {local} is missing and has no download address")
                    missing += 1
                continue
            target = cache / Path(dl["url"]).name
            if target.exists() and (not dl.get("sha256") or sha256_of(target) == dl["sha256"]):
                say(f"✓ {manifest.id}: {target.name} already in {cache}")
                continue
            try:
                fetch(dl["url"], target, dl.get("sha256"))
                say(f"✓ {manifest.id}: downloaded {dl['url']} → {target} ({target.stat().st_size / 1e6:.1f} MB)")
                continue
            except ModelNotAvailable as exc:
                reason = str(exc)
            copy = settings.asset(manifest[asset_key]) if manifest.get(asset_key) else None
            if copy is not None and (not dl.get("sha256") or sha256_of(copy) == dl["sha256"]):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(copy, target)
                say(f"✓ {manifest.id}: offline, copied {copy} → {target}")
                continue
            say(f"✗ {manifest.id}: cannot download {dl['url']} ({reason}). Are you online? "
                f"Run this again with internet, or set PLAYGROUND_ASSETS_DIR to a folder that has "
                f"{manifest.get(asset_key) or Path(dl['url']).name}.")
            missing += 1
    return missing
