"""The classroom's small parts: join codes, rate limits, pushes, what is kept of a result, the hub."""

import asyncio
import concurrent.futures

import numpy as np
import pytest

from app.classroom import codes, presets, recorder
from app.classroom.hub import CLOSE, QUEUE_SIZE, Hub
from app.classroom.ratelimit import RateLimiter


def run_in_fresh_loop(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API (the browser tests in the same
    session) keeps an event loop running on the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_join_codes_are_random_and_have_no_look_alikes():
    drawn = [codes.new_code() for _ in range(2000)]
    assert all(codes.is_well_formed(c) for c in drawn)
    assert len(set(drawn)) == len(drawn)  # 24⁶ codes: no repeats in 2000 draws
    assert not set("01IOLZ2S5B8") & set(codes.ALPHABET)
    # not guessable by counting: consecutive codes share no common prefix more than chance
    same_first = sum(a[0] == b[0] for a, b in zip(drawn, drawn[1:]))
    assert same_first < 2000 / 24 * 2
    assert codes.normalize_code(" ab-c 7x9 ") == "ABC7X9"


def test_teacher_cookie_is_not_the_token_and_tokens_compare_exactly():
    assert codes.teacher_cookie_value("secret") != "secret"
    assert codes.is_teacher_cookie(codes.teacher_cookie_value("secret"), "secret")
    assert not codes.is_teacher_token("secre", "secret")
    assert not codes.is_teacher_token("secret", None)  # no token configured: nobody is the teacher


def test_rate_limiter_allows_a_burst_then_refills():
    limiter = RateLimiter(rate=2, burst=3)
    assert [limiter.take("a", now=0.0) for _ in range(3)] == [0, 0, 0]
    wait = limiter.take("a", now=0.0)
    assert wait == pytest.approx(0.5)  # one token comes back in 1/rate s
    assert limiter.take("b", now=0.0) == 0  # per key
    assert limiter.take("a", now=0.6) == 0


def test_push_builds_a_lab_url_with_its_state():
    push = presets.build_push("neuron", {"w": [1, 2], "b": 1, "relu": True})
    assert push["url"] == "/neuron?w=1&w=2&b=1&relu=true"
    assert len(push["id"]) == 12
    again = presets.push_from_url("http://10.0.0.5:8000/neuron?w=1&w=2&b=1")
    assert again["url"] == "/neuron?w=1&w=2&b=1" and again["lab"] == "neuron"
    assert presets.digit_target(presets.build_push("digits", {"target": 7})) == 7
    assert presets.digit_target(presets.build_push("neuron", {"target": 7})) is None
    for bad in (lambda: presets.build_push("admin", {}), lambda: presets.build_push("neuron", {"w": {"x": 1}}),
                lambda: presets.push_from_url("https://evil.example/steal"), lambda: presets.push_from_url("/docs")):
        with pytest.raises(presets.BadPush):
            bad()


def test_what_is_kept_of_a_digit_result_is_the_drawing_and_the_answer():
    picture = np.zeros((28, 28), dtype=int)
    picture[5:20, 14] = 255
    kept = recorder.compact("digits", {"prediction": 1, "model": "digits-cnn", "input": picture.tolist(), "probabilities": [0.1] * 10})
    assert kept["prediction"] == 1 and "probabilities" not in kept
    assert np.array_equal(np.frombuffer(__import__("base64").b64decode(kept["px"]), np.uint8).reshape(28, 28), picture)
    assert recorder.compact("digits", {"prediction": 1, "input": [[0] * 5]}) is None  # not a 28×28 picture


def test_descent_and_training_results_are_read_whatever_the_lab_calls_them():
    kept = recorder.compact("descent", {"eta": 0.1, "verdict": "converged", "loss": "quadratic", "path": [1, 2, 3]})
    assert kept == {"eta": 0.1, "verdict": "converged", "loss": "quadratic"}
    assert recorder.compact("descent", {"eta": 0.1, "verdict": "start"}) is None  # no step taken yet
    assert recorder.compact("descent", {"eta": "nan"}) is None
    job = recorder.compact("train", {"test_accuracy": 97.5, "params": 1234, "seconds": 12.5, "design": ["dense 64", "dense 10"]})
    assert job["accuracy"] == pytest.approx(0.975) and job["design"] == "dense 64 → dense 10"
    job = recorder.compact("train", {"job": "j1", "test_accuracy": 0.98, "parameters": 80_000, "model_id": "m"})
    assert job["params"] == 80_000 and job["job"] == "j1"  # the design and time come from the jobs table


def test_hub_fans_out_one_frame_and_drops_a_reader_that_stopped_reading():
    async def scenario():
        hub = Hub()
        hub.bind(asyncio.get_running_loop())
        async with hub.subscribe("class:A") as q1, hub.subscribe("class:A", "student:1") as q2, hub.subscribe("class:B") as q3:
            hub.publish("class:A", "push", {"url": "/neuron"})
            hub.publish("student:1", "removed", {})
            assert q1.get_nowait() == q2.get_nowait()  # the same bytes for everyone
            assert q2.get_nowait().startswith(b"event: removed\n")
            assert q3.empty()
            for i in range(QUEUE_SIZE + 1):  # nobody reads q1 now
                hub.publish("class:B", "x", i)
                hub.publish("class:A", "push", {"i": i})
            frames = [q1.get_nowait() for _ in range(q1.qsize())]
            assert frames[-1] == CLOSE  # its stream ends; the browser reconnects and gets the latest push
        assert hub.subscribers("class:A") == 0

    run_in_fresh_loop(scenario())


def test_two_web_processes_share_pushes_through_redis():
    """Two hubs (as in two processes) bridged by the Redis on this machine: a push published in
    one reaches a student connected to the other, in order."""
    from app.classroom.hub import RedisBridge

    async def scenario():
        loop = asyncio.get_running_loop()
        hubs = [Hub(), Hub()]
        bridges = []
        for hub in hubs:
            hub.bind(loop)
            bridge = RedisBridge(hub, "redis://127.0.0.1:6379/15")
            await bridge.start()
            bridges.append(bridge)
        try:
            async with hubs[1].subscribe("class:REDIS1") as queue:
                await asyncio.sleep(0.2)  # subscriptions settle
                for i in range(3):
                    hubs[0].publish("class:REDIS1", "push", {"i": i})
                frames = [await asyncio.wait_for(queue.get(), 3) for _ in range(3)]
            assert [json_data(f)["i"] for f in frames] == [0, 1, 2]
        finally:
            for bridge in bridges:
                await bridge.stop()

    run_in_fresh_loop(scenario())


def json_data(frame: bytes):
    import json

    return json.loads(frame.decode().split("data: ", 1)[1])


def test_old_results_are_pruned_per_class_and_lab(tmp_path):
    import json
    import time

    from app.classroom import store
    from app.classroom.tables import ClassResult
    from app.db import session_scope
    from app.tables import init_db

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    init_db(url)
    code = store.create_class(url)
    _, ref = store.join_class(url, code, "x")
    with session_scope(url) as s:
        for i in range(30):
            for lab in ("descent", "digits"):
                s.add(ClassResult(class_id=ref.class_id, student_id=ref.id, lab=lab, payload=json.dumps({"i": i}), created_at=time.time()))
    store.prune_results(url, ref.class_id, "descent", keep=10)
    kept = store.results(url, ref.class_id, "descent", 100)
    assert [r["i"] for r in kept] == list(range(29, 19, -1))  # the latest ten
    assert len(store.results(url, ref.class_id, "digits", 100)) == 30  # other labs untouched
