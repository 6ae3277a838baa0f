"""POST /api/rl/gridworld and the /rl pages: both methods, URL state, bad input in both languages."""

import time

import pytest

from app.labs.rl import MAX_TOTAL_STEPS

EN = {"accept-language": "en"}
HX = {"hx-request": "true"}
ISSUE_GRID = ["S..#", ".#.G", "...X"]


def test_value_iteration_on_the_issues_grid(client):
    r = client.post("/api/rl/gridworld", json={"grid": ISSUE_GRID, "method": "value_iteration", "gamma": 0.9,
                                               "step_reward": -0.01})
    assert r.status_code == 200, r.text
    body = r.json()
    # next to the goal: one step, +1; two away: −0.01 + 0.9 × 1; walls null; terminals 0
    assert body["values"][0][2] == pytest.approx(0.89) and body["values"][1][2] == pytest.approx(1.0)
    assert body["values"][0][3] is None and body["values"][1][3] == 0 and body["values"][2][3] == 0
    # up, right, down, left: −0.01 + 0.9 × 0.89; the goal; the same; into the wall, stay put: −0.01 + 0.9 × 1
    assert body["q"][1][2] == pytest.approx([0.791, 1.0, 0.791, 0.89])
    assert body["policy"][0] == ["right", "right", "down", None]
    assert body["path"] == [[0, 0], [0, 1], [0, 2], [1, 2], [1, 3]]
    assert body["returns"] is None and body["converged"] is True and body["sweeps"] > 1


def test_q_learning_is_repeatable_by_seed_and_finds_the_goal(client):
    body = {"grid": ISSUE_GRID, "method": "q_learning", "gamma": 0.9, "step_reward": -0.01, "alpha": 0.1,
            "epsilon": 0.2, "episodes": 500, "seed": 1}
    a, b = client.post("/api/rl/gridworld", json=body).json(), client.post("/api/rl/gridworld", json=body).json()
    assert a == b  # same seed, same run
    assert len(a["returns"]) == a["episodes"] == 500
    assert a["path"] == [[0, 0], [0, 1], [0, 2], [1, 2], [1, 3]]
    assert sum(a["returns"][-50:]) / 50 > 0.8  # late episodes mostly reach the goal
    c = client.post("/api/rl/gridworld", json={**body, "seed": 2}).json()
    assert c["returns"] != a["returns"]


def test_q_learning_on_the_server_has_a_step_budget(client):
    walled = ["S.#" + "." * 9] + ["..#" + "." * 9] * 10 + ["..#" + "." * 8 + "G"]
    start = time.perf_counter()
    r = client.post("/api/rl/gridworld", json={"grid": walled, "method": "q_learning", "episodes": 5000})
    assert r.status_code == 200
    assert r.json()["steps"] == MAX_TOTAL_STEPS and r.json()["episodes"] < 5000
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("body, zh, en", [
    ({"grid": ["...", ".#G"]}, "沒有起點", "has no start"),
    ({"grid": ["S..", ".#X"]}, "沒有終點", "has no goal"),
    ({"grid": ["S.S", "..G"]}, "只能有一個 S", "only one S"),
    ({"grid": ["S" + "." * 199] + ["." * 200] * 198 + ["." * 199 + "G"]}, "最多 12 列", "at most 12 rows"),
    ({"grid": ["S.Z", "q.G"]}, "看不懂的格子「Z q」", "“Z q”"),
    ({"grid": ["S..", ".G"]}, "一樣多", "same number"),
    ({"grid": []}, "是空的", "is empty"),
    ({"episodes": 10**7}, "不能大於 5000", "at most 5000"),
    ({"gamma": 1.5}, "「折扣 γ」不能大於 1", "at most 1"),
    ({"gamma": -0.1}, "不能小於 0", "at least 0"),
    ({"alpha": 0}, "「學習率 α」要大於 0", "greater than 0"),
    ({"epsilon": 2}, "「探索機率 ε」不能大於 1", "at most 1"),
    ({"step_reward": "a lot"}, "不是數字", "is not a number"),
    ({"method": "sarsa"}, "其中之一", "q_learning"),
    ({"seed": -1}, "不能小於 0", "at least 0"),
])
def test_bad_input_is_422_in_the_learners_language(client, body, zh, en):
    full = {"grid": ISSUE_GRID, "method": "q_learning", **body}
    r = client.post("/api/rl/gridworld", json=full)
    assert r.status_code == 422 and zh in r.json()["detail"], r.json()
    r = client.post("/api/rl/gridworld", json=full, headers=EN)
    assert r.status_code == 422 and en in r.json()["detail"], r.json()


def test_page_and_its_exact_answer(client):
    r = client.get("/rl?grid=S..%23_.%23.G_...X&gamma=0.9&step_reward=-0.01&alpha=0.3&epsilon=0.1&seed=7&steps=40")
    assert r.status_code == 200
    html = r.text
    assert "強化學習" in html and 'value="S..#_.#.G_...X"' in html and 'id="rl-alpha" name="alpha"' in html
    assert 'value="40"' in html and 'value="7"' in html  # steps and seed round-trip
    assert "走 4 步到終點，總獎勵 0.97" in html  # value iteration's path: 3 × −0.01 + 1
    assert "/static/js/rl.js" in html and "/static/js/rl_view.js" in html


def test_fragment_pushes_the_url_and_bad_grids_are_inline_errors(client):
    r = client.get("/rl/exact?grid=S.G&gamma=0.5&step_reward=0&alpha=0.5&epsilon=0.2&seed=3&steps=0", headers=HX)
    assert r.status_code == 200
    assert r.headers["hx-push-url"] == "/rl?grid=S.G&gamma=0.5&step_reward=0&alpha=0.5&epsilon=0.2&seed=3&steps=0"
    assert 'data-grid="S.G"' in r.text and "+1" in r.text
    r = client.get("/rl/exact?grid=S..", headers={**HX, **EN})
    assert r.status_code == 422 and "error-box" in r.text and "has no goal" in r.text
    assert "<html" not in r.text  # a fragment, not a page
    r = client.get("/rl?grid=S..")  # a shared link with a mistake still opens the lab, with the message
    assert r.status_code == 422 and "沒有終點" in r.text and 'id="rl-world"' in r.text


def test_home_page_lists_the_lab(client):
    r = client.get("/", headers=EN)
    assert 'href="/rl"' in r.text and "Reinforcement learning" in r.text
