"""POST /api/playground/csv and the /playground page's state: good CSVs become points, bad ones
are a 422 (413 when too big) naming the row, in the learner's language."""

import pytest

EN = {"accept-language": "en"}
CSV = {"content-type": "text/csv"}


def post(client, text, headers=None):
    return client.post("/api/playground/csv", content=text.encode(), headers={**CSV, **(headers or {})})


def test_a_csv_with_a_header_becomes_points(client):
    r = post(client, "x1,x2,label\n1,2,1\n-1.5,0.5,0\n\n3,-3,-1\n")
    assert r.status_code == 200
    assert r.json() == {"points": [[1, 2, 1], [-1.5, 0.5, 0], [3, -3, 0]], "scale": 1.0}  # −1 is class 0


def test_big_coordinates_are_scaled_into_the_plane(client):
    body = post(client, "100,0,1\n-50,20,0\n").json()
    assert body["scale"] == pytest.approx(0.054) and body["points"][0][0] == pytest.approx(5.4)


@pytest.mark.parametrize("text, zh, en", [
    ("x1,x2,label\n1,2,1\n3,abc,0\n", "第 2 行的 x2 是「abc」，不是數字", "Row 2 of the CSV: x2 is “abc”, not a number"),
    ("1,2,1\n3,4\n", "第 2 行有 2 欄", "Row 2 of the CSV has 2 columns"),
    ("1,2,1\n3,4,7\n", "類別要是 0 或 1", "the label must be 0 or 1"),
    ("1,2,1\n3,nan,0\n", "不是數字", "not a number"),
    ("x1,x2,label\n", "至少要有 2 行", "at least 2 rows"),
    ("1,1,1\n" * 1001, "最多 1000 個", "at most 1000"),
])
def test_bad_csv_is_422_in_the_learners_language(client, text, zh, en):
    r = post(client, text)
    assert r.status_code == 422 and zh in r.json()["detail"], r.json()
    r = post(client, text, EN)
    assert r.status_code == 422 and en in r.json()["detail"], r.json()


def test_a_million_rows_is_413(client):
    r = post(client, "1,1,1\n" * 10**6, EN)
    assert r.status_code == 413 and "too large" in r.json()["detail"]


def test_not_utf8_is_422(client):
    r = client.post("/api/playground/csv", content=b"\xff\xfe1,2,1", headers=CSV)
    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]


def test_page_state_and_bad_addresses(client):
    r = client.get("/playground?dataset=spiral&features=x1,x2,sin1,sin2&layers=8,8,6&lr=0.1&seed=7")
    assert r.status_code == 200
    assert 'value="spiral" id="ds-spiral" checked' in r.text and 'value="8,8,6"' in r.text and 'value="7"' in r.text
    for query, zh in [("layers=9", "每個 1 到 8"), ("layers=1,1,1,1,1,1,1", "最多 6 個"), ("features=x3", "只能是"),
                      ("features=", "至少要選一個特徵"), ("dataset=moons", "只能是"), ("pts=1,2,5", "格式不對"),
                      ("lr=abc", "不是數字")]:
        r = client.get("/playground?" + query)
        assert r.status_code == 422 and zh in r.text and 'id="pg-form"' in r.text, query
    r = client.get("/playground?dataset=mine&pts=1,2,1;-1,-2,0")
    assert r.status_code == 200 and 'value="1,2,1;-1,-2,0"' in r.text
    r = client.get("/playground?layers=")
    assert r.status_code == 200  # no hidden layer at all: logistic regression on the features
