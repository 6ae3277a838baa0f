"""/conv and POST /api/conv: the lecture's numbers through the API, the page's state in the URL,
and bad input answered with 422 in the learner's language."""

import re

import pytest

from app.nn import conv

LECTURE = {"image": conv.LECTURE_IMAGE, "kernel": conv.LECTURE_KERNEL}


def test_api_gives_the_lectures_board_relu_and_slide_206(client):
    r = client.post("/api/conv", json={**LECTURE, "padding": "valid", "stride": 1, "pool": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["board"][0] == [35, 27, 44, 32, 36, 38]
    assert body["board"][1][3] == 37  # the slide misprints 36
    assert body["relu"] == body["board"]  # all positive: ReLU changes nothing
    assert body["pooled"] == conv.LECTURE_POOLED
    assert body["winners"][0][1] == [0, 2]  # 44 at row 0, column 2 of the board
    assert body["pad"] == {"top": 0, "bottom": 0, "left": 0, "right": 0}


def test_api_same_padding_and_stride(client):
    r = client.post("/api/conv", json={**LECTURE, "padding": "same", "stride": 1})
    assert len(r.json()["board"]) == 8 and r.json()["pad"] == {"top": 1, "bottom": 1, "left": 1, "right": 1}
    r = client.post("/api/conv", json={**LECTURE, "padding": "same", "stride": 2, "pool": 1})
    body = r.json()
    assert len(body["board"]) == 4 and body["pooled"] is None
    assert body["pad"] == {"top": 0, "bottom": 1, "left": 0, "right": 1}  # Keras puts the odd zero after
    r = client.post("/api/conv", json={**LECTURE, "stride": 2})
    assert len(r.json()["board"]) == 3


def test_api_bias_and_relu(client):
    r = client.post("/api/conv", json={"image": [[1, 2], [3, 4]], "kernel": [[1]], "bias": -2.5, "pool": 2})
    body = r.json()
    assert body["relu"] == [[0, 0], [0.5, 1.5]] and body["pooled"] == [[1.5]]


@pytest.mark.parametrize(
    "payload,code,zh,en",
    [
        ({"image": [[1, 2, 3], [4, 5, 6]], "kernel": [[1]]}, "conv.errors.not_square_image", "影像必須是正方形", "The image must be square"),
        ({"image": [[1, 2], [3]], "kernel": [[1]]}, "conv.errors.not_square_image", "第 2 列有 1 格", "row 2 has 1"),
        ({"image": [[1, 2], [3, 4]], "kernel": [[1, 2], [3]]}, "conv.errors.not_square_kernel", "濾鏡必須是正方形", "The filter must be square"),
        ({"image": [[0] * 33] * 33, "kernel": [[1]]}, "conv.errors.too_big_image", "最多 32×32", "at most 32×32"),
        ({"image": [[1, 2], [3, 4]], "kernel": [[1] * 3] * 3}, "conv.errors.kernel_too_big", "不能比影像", "cannot be larger than the image"),
        ({"image": [[1, "x"], [3, 4]], "kernel": [[1]]}, "invalid", "第 1 列第 2 格「x」不是數字", "“x” is not a number"),
        ({"image": [[1, 2], [3, 4]], "kernel": [[True]]}, "invalid", "不是數字", "is not a number"),
        ({"image": [[1, 2], [3, 4]], "kernel": "abc"}, "invalid", "一列一列的數字", "rows of numbers"),
        ({"image": [], "kernel": [[1]]}, "conv.errors.empty_image", "影像是空的", "The image is empty"),
        ({**LECTURE, "padding": "full"}, "invalid", "要是以下其中之一", "must be one of"),
        ({**LECTURE, "stride": 3}, "invalid", "不能大於 2", "at most 2"),
        ({"image": [[1, 2], [3, 4]], "kernel": [[1, 1], [1, 1]], "pool": 2}, "conv.errors.pool_too_big", "池化的區域", "pooling region"),
    ],
)
def test_api_bad_input_is_a_422_in_the_learners_language(client, payload, code, zh, en):
    r = client.post("/api/conv", json=payload)
    assert r.status_code == 422 and r.json()["code"] == code and zh in r.json()["detail"], r.json()
    r = client.post("/api/conv", json=payload, headers={"accept-language": "en"})
    assert r.status_code == 422 and en in r.json()["detail"], r.json()


def test_api_rejects_nan_written_as_json(client):
    r = client.post("/api/conv", content=b'{"image": [[1, NaN], [3, 4]], "kernel": [[1]]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_the_api_is_documented(client):
    spec = client.get("/openapi.json").json()
    assert "/api/conv" in spec["paths"]


# The page --------------------------------------------------------------------------------------

def board_cells(html):
    board = html.split('id="conv-board"')[1].split("</figure>")[0]
    return re.findall(r'<div class="cell([^"]*)"[^>]*><span>([^<]*)</span>', board)


def test_page_starts_with_the_lecture_example_and_an_empty_board(client):
    r = client.get("/conv")
    assert r.status_code == 200 and "卷積與池化" in r.text
    assert 'value="lecture"' in r.text  # the image and filter come from the lecture
    assert board_cells(r.text) == []  # nothing written yet
    assert "第 0 / 36 步" in r.text


def test_page_steps_are_in_the_url(client):
    r = client.get("/conv?step=7")
    cells = board_cells(r.text)
    assert [v for _, v in cells] == ["35", "27", "44", "32", "36", "38", "36"]
    assert "now" in cells[-1][0]
    assert 'id="conv-sum">36<' in r.text  # 9 products of the window at row 2, column 1
    assert r.text.count('class="cell win"') == 9  # the window on the image


def test_page_shows_the_slides_misprint_and_slide_206(client):
    r = client.get("/conv")
    assert "誰對？" in r.text and "37" not in r.text.split('id="conv-misprint"')[1].split("</aside>")[0]  # no spoiler
    r = client.get("/conv?step=10")
    assert "投影片打錯了" in r.text
    assert 'id="conv-sum">37<' in r.text and "投影片：36" in r.text and 'id="conv-misprint"' in r.text
    r = client.get("/conv?step=36")
    pooled = r.text.split('id="conv-pooled"')[1].split("</div>\n")[0]
    assert re.findall(r"<span>([^<]*)</span>", pooled) == ["36", "44", "43", "37", "26", "35", "38", "34", "40"]
    assert r.text.count(" winner") >= 9


def test_page_same_padding_draws_the_zero_ring(client):
    r = client.get("/conv?padding=same&step=1")
    assert r.text.count("cell pad") == 10 * 10 - 8 * 8
    assert "記分板 8×8" in r.text
    assert 'id="conv-sum">25<' in r.text  # the top-left window is mostly zeros


def test_page_custom_numbers_and_a_preset_filter(client):
    r = client.get("/conv", params={"image": "1,0,0_0,1,0_0,0,1", "kernel": "diagonal", "step": 1})
    assert 'id="conv-sum">6<' in r.text and "記分板 1×1" in r.text
    assert "沒辦法再池化" in r.text  # a 1×1 board is full after one step and too small to pool


def test_fragment_pushes_the_page_url_when_the_form_changes(client):
    r = client.get("/conv/stage?image=lecture&kernel=vertical&padding=same", headers={"hx-request": "true", "hx-trigger": "conv-form"})
    assert r.status_code == 200 and "<html" not in r.text
    assert r.headers["hx-push-url"] == "/conv?image=lecture&kernel=vertical&padding=same"


def test_page_bad_numbers_are_a_422_in_the_learners_language(client):
    r = client.get("/conv?image=1,2_3,x")
    assert r.status_code == 422 and "影像第 2 列第 2 格「x」不是數字" in r.text
    r = client.get("/conv/stage?image=1,2_3,4&kernel=1,1,1_1,1,1_1,1,1", headers={"hx-request": "true", "accept-language": "en"})
    assert r.status_code == 422 and "error-box" in r.text and "cannot be larger than the image" in r.text
    assert client.get("/conv?stride=5").status_code == 422


def test_inputs_hold_numbers_a_browser_accepts(client):
    # type=number inputs need an ASCII minus; the score board may print a true minus sign
    r = client.get("/conv?image=vline&kernel=vertical&step=36")
    assert 'id="ker-0-0" data-grid="kernel" data-r="0" data-c="0" type="number" step="any" inputmode="decimal"\n               value="-1"' in r.text
    assert "<span>−3</span>" in r.text


@pytest.mark.parametrize("query, zh, en", [
    ("stride=1", "外圍補 1 圈 0：記分板和圖片一樣大（8×8）", "zeros 1 deep all round: the board keeps the image's size (8×8)"),
    # stride 2: ⌈8 / 2⌉ = 4 needs one zero row, which goes below and on the right only
    ("stride=2", "只在下面和右邊補 1 排 0：記分板 4×4", "zeros only below and on the right (1 deep): the board is 4×4"),
    ("stride=2&image=1,2,3,4,5_1,2,3,4,5_1,2,3,4,5_1,2,3,4,5_1,2,3,4,5", "外圍補 1 圈 0：記分板 3×3（5 ÷ 2", "the board is 3×3 (5 ÷ 2, rounded up)"),
    ("stride=2&kernel=1", "這裡不用補 0：記分板已經是 4×4", "no zeros needed here"),
])
def test_the_padding_labels_say_what_same_does_for_this_stride_and_size(client, query, zh, en):
    """「外圍補一圈 0：記分板一樣大」 was wrong for stride 2: the label is worked out for the board shown."""
    r = client.get(f"/conv?{query}&padding=same")
    assert r.status_code == 200 and zh in r.text and "記分板一樣大" not in r.text
    assert en in client.get(f"/conv?{query}&padding=same", headers={"accept-language": "en"}).text.replace("&#39;", "'")
    assert "不補零：8×8 的圖片得到 6×6 的記分板" in client.get("/conv").text


def test_a_bias_out_of_range_and_an_empty_cell_are_said_not_ignored(client):
    hx = {"hx-request": "true"}
    r = client.get("/conv/stage?bias=5000", headers=hx)
    assert r.status_code == 422 and "error-box" in r.text and "「偏值 bias」不能大於 1000" in r.text
    r = client.get("/conv/stage?image=1,,3_1,2,3_1,2,3&kernel=1", headers={**hx, "accept-language": "en"})
    assert r.status_code == 422 and "Image row 1, column 2 is empty" in r.text
    r = client.get("/conv/stage?kernel=1,2_,4", headers=hx)
    assert r.status_code == 422 and "濾鏡第 2 列第 1 格是空的" in r.text
