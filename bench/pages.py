"""Bytes and requests per page load, as a phone on the classroom Wi-Fi sees them:
`python bench/pages.py [/neuron /digits ...]`.

In process (the real app on httpx's ASGI transport, the shared test assets), for each page: the
HTML and every script, stylesheet, icon and image it names under /static, fetched the way a
browser does. Printed per page and in total, with the baseline measured in this same run:

  - before: no compression (Accept-Encoding: identity) and every file asked for again on the
    next visit (what a browser without cache headers does: revalidate or refetch);
  - after: gzip, and on a repeat visit only the HTML (versioned static files are cached as
    immutable, so the browser does not ask for them again).

Bytes are the bytes on the wire (the body as sent, compressed or not), headers not counted.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402

PAGES = ["/", "/neuron", "/descent", "/photos", "/digits", "/conv", "/conv/digit", "/train", "/classifiers", "/join"]
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


async def load(client: httpx.AsyncClient, path: str, encoding: str) -> tuple[int, int, list[str], list[str]]:
    """One page load: (requests, bytes on the wire, asset URLs, their Cache-Control values)."""
    headers = {"Accept-Encoding": encoding}
    page = await client.get(path, headers=headers)
    assert page.status_code == 200, (path, page.status_code)
    assets = sorted(set(ASSET.findall(page.text)))
    wire = page.num_bytes_downloaded
    cache = []
    for url in assets:
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.status_code)
        wire += r.num_bytes_downloaded
        cache.append(r.headers.get("cache-control", ""))
    return 1 + len(assets), wire, assets, cache


async def main(pages: list[str]) -> None:
    shared = Path(os.environ.get("PLAYGROUND_TEST_ASSETS", ROOT.parent / "shared"))
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp) / "data", assets_dir=shared, workers=0))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                print(f"{'page':<14}{'requests':>9}{'before KB':>11}{'after KB':>10}{'ratio':>7}"
                      f"{'repeat visit: before':>22}{'after':>12}")
                totals = [0, 0, 0, 0, 0]
                for path in pages:
                    n, before, _, _ = await load(client, path, "identity")
                    _, after, assets, cache = await load(client, path, "gzip")
                    immutable = sum("immutable" in c for c in cache)
                    page = await client.get(path, headers={"Accept-Encoding": "gzip"})
                    html_only = page.num_bytes_downloaded
                    repeat_after_requests = 1 + (len(assets) - immutable)
                    print(f"{path:<14}{n:>9}{before / 1024:>11.1f}{after / 1024:>10.1f}{before / after:>7.1f}"
                          f"{f'{n} req, {before / 1024:.0f} KB':>22}{f'{repeat_after_requests} req':>12}"
                          f"  ({immutable}/{len(assets)} immutable, HTML {html_only / 1024:.1f} KB)")
                    totals = [totals[0] + n, totals[1] + before, totals[2] + after, totals[3] + repeat_after_requests,
                              totals[4] + html_only]
                print(f"{'all':<14}{totals[0]:>9}{totals[1] / 1024:>11.1f}{totals[2] / 1024:>10.1f}"
                      f"{totals[1] / totals[2]:>7.1f}{f'{totals[0]} req':>22}{f'{totals[3]} req':>12}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or PAGES))
