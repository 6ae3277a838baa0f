"""An impossible CNN (too many pools for 28×28, a kernel bigger than its map) on /train: the error
beside its field, the page usable, Train disabled, the address following the form (the too-big
message: tests/labs/test_train_api.py)."""

from __future__ import annotations

import itertools
import re

import pytest

from app.errors import UserError
from app.labs.train_form import design_problem
from app.ml.design import ConvBlock, TrainDesign, layer_table

THREE_POOLS = "architecture=cnn&blocks=3&padding=valid&padding=valid&padding=valid&kernel=7&kernel=7&kernel=7&pool=3&pool=3&pool=3"


def test_the_problem_is_found_exactly_where_the_layer_table_breaks():
    """Every design the form can make (1–3 blocks of its kernels, paddings and pools)."""
    options = list(itertools.product((1, 3, 5, 7), ("same", "valid"), (0, 2, 3)))
    for n in (1, 2, 3):
        for blocks in itertools.product(options, repeat=n):
            design = TrainDesign(architecture="cnn", conv_blocks=[ConvBlock(filters=4, kernel_size=k, padding=p, pool=q)
                                                                   for k, p, q in blocks])
            try:
                layer_table(design)
                fits = True
            except UserError:
                fits = False
            assert (design_problem(design) is None) == fits, blocks


def test_an_impossible_design_from_a_url_opens_the_page_with_the_error_beside_its_field(client):
    r = client.get(f"/train?{THREE_POOLS}")
    assert r.status_code == 422 and 'id="design-form"' in r.text  # the page, not a dead end
    # 28 −6 = 22, pool 3 → 7, −6 = 1, then 3×3 pooling cannot fit
    problem = re.search(r'<p class="error-box field-error"[^>]*data-field="(\w+)"[^>]*>([^<]*)<', r.text)
    assert problem and problem.group(1) == "pool2" and "區塊 2：圖到這裡只剩 1×1，放不下 3×3 的池化" in problem.group(2)
    assert re.search(r'id="pool2" name="pool" aria-invalid="true"', r.text)
    assert re.search(r'id="train-button"[^>]*disabled', r.text)
    assert 'id="layer-table"' not in r.text and "改好以前不能訓練" in r.text
    en = client.get(f"/train?{THREE_POOLS}", headers={"accept-language": "en"}).text
    assert "Block 2: the map is only 1×1 here, too small for 3×3 pooling" in en


def test_picking_an_impossible_design_updates_the_preview_and_the_address(client):
    """htmx swaps the answer into the form's place (200) and pushes the impossible design's address,
    so the URL, the form and the message agree."""
    r = client.get("/train/design?architecture=cnn&blocks=2&padding=valid&padding=valid&kernel=7&kernel=7&pool=3&pool=3",
                   headers={"hx-request": "true"})
    assert r.status_code == 200 and 'data-field="pool2"' in r.text
    assert r.headers["hx-push-url"].startswith("/train?") and r.headers["hx-push-url"].count("pool=3") == 2
    assert re.search(r'id="train-button"[^>]*disabled', r.text)
    r = client.get("/train/design?architecture=cnn&blocks=2&padding=valid&padding=valid&kernel=7&kernel=7&pool=3&pool=0",
                   headers={"hx-request": "true"})  # one pool fewer: 28 − 6 = 22, /3 = 7, − 6 = 1 fits
    assert "field-error" not in r.text and 'id="layer-table"' in r.text
    assert not re.search(r'id="train-button"[^>]*disabled', r.text)


def test_a_kernel_bigger_than_its_map_is_said_at_the_kernel(client):
    r = client.get("/train/design?architecture=cnn&blocks=3&padding=valid&padding=valid&padding=valid"
                   "&kernel=7&kernel=7&kernel=7&pool=3&pool=0&pool=0", headers={"hx-request": "true"})
    assert 'data-field="kernel3"' in r.text and "區塊 3：7×7 的濾鏡比這時的圖（1×1）還大" in r.text
    assert re.search(r'id="kernel3" name="kernel" aria-invalid="true"', r.text)
