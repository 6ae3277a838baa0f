"""The event streams on a real server: students follow a push within 2 s, the projector hears
about joins and results, removal and the end of the class reach the right people."""

import json
import queue
import threading
import time

import httpx

from tests.classroom.conftest import AS_TEACHER, digit_png


class Listener:
    """Reads one SSE stream in a thread; events land on a queue as (name, data, received_at)."""

    def __init__(self, client: httpx.Client, url: str, headers=None):
        self.events: queue.Queue = queue.Queue()
        self.status = None
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(client, url, headers or {}), daemon=True)
        self.thread.start()

    def _run(self, client, url, headers):
        try:
            with client.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=30)) as r:
                self.status = r.status_code
                name = None
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        self.events.put((name, json.loads(line[6:]), time.time()))
        except httpx.HTTPError:
            pass
        finally:
            self.closed.set()

    def next(self, name, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                break
            if event[0] == name:
                return event
        raise AssertionError(f"no {name!r} event within {timeout} s")


def test_students_follow_a_push_and_hear_the_end(classroom_server):
    base = classroom_server.url
    teacher = httpx.Client(base_url=base, headers=AS_TEACHER)
    code = teacher.post("/api/classes").json()["code"]
    projector = Listener(httpx.Client(base_url=base), f"/api/classes/{code}/events", AS_TEACHER)
    projector.next("hello")
    students, listeners = [], []
    for i in range(3):
        c = httpx.Client(base_url=base)
        assert c.post(f"/api/classes/{code}/join", json={"nickname": f"學生{i}"}).status_code == 200
        students.append(c)
        listeners.append(Listener(c, f"/api/classes/{code}/events"))
    projector.next("students")
    for i, listener in enumerate(listeners):
        hello = listener.next("hello")[1]
        assert hello["role"] == "student" and f"學生{i}" in hello["text"]["badge"]  # the badge, in the learner's language

    sent = time.time()
    push = teacher.post(f"/api/classes/{code}/push", json={"lab": "neuron", "state": {"w1": 1, "w2": 2, "b": 1}}).json()
    for listener in listeners:
        name, data, at = listener.next("push")
        assert data["id"] == push["id"] and data["url"] == "/neuron?w1=1&w2=2&b=1"
        assert at - sent < 2.0

    # a late joiner is sent to the latest push as soon as it connects
    late = httpx.Client(base_url=base)
    late.post(f"/api/classes/{code}/join", json={"nickname": "遲到"})
    assert Listener(late, f"/api/classes/{code}/events").next("push")[1]["id"] == push["id"]

    # the projector hears about results (once per batch), not about every request
    assert students[0].post(f"/api/classes/{code}/push", json={"lab": "digits", "state": {}}).status_code == 403
    r = students[0].post("/api/digits/predict", files={"image": ("d.png", digit_png(7), "image/png")})
    assert r.status_code == 200
    assert "digits" in projector.next("results", timeout=3)[1]["labs"]

    # removing one student tells only them
    sid = teacher.get(f"/api/classes/{code}").json()["students"][0]["id"]
    assert teacher.delete(f"/api/classes/{code}/students/{sid}").status_code == 200
    listeners[0].next("removed")
    assert listeners[0].closed.wait(3)
    assert not listeners[1].closed.is_set()

    assert teacher.delete(f"/api/classes/{code}").status_code == 200
    for listener in listeners[1:]:
        listener.next("end")
        assert listener.closed.wait(3)
    projector.next("end")
    assert students[1].get(f"/api/classes/{code}/events").status_code == 404


def test_a_stranger_cannot_listen_to_a_class(classroom_server):
    base = classroom_server.url
    code = httpx.post(base + "/api/classes", headers=AS_TEACHER).json()["code"]
    r = httpx.get(f"{base}/api/classes/{code}/events", timeout=5)
    assert r.status_code == 403 and r.json()["code"] == "classroom.not_joined"


def test_the_server_stops_promptly_with_phones_still_connected(tmp_path, shared):
    """Open event streams never end by themselves: Ctrl+C must not wait for every phone."""
    import signal

    from tests.classroom.conftest import TEACHER
    from tests.conftest import LiveServer

    server = LiveServer(tmp_path / "data", extra_env={"PLAYGROUND_TEACHER_TOKEN": TEACHER})
    try:
        code = httpx.post(server.url + "/api/classes", headers=AS_TEACHER).json()["code"]
        phone = httpx.Client(base_url=server.url)
        phone.post(f"/api/classes/{code}/join", json={"nickname": "還在線上"})
        listener = Listener(phone, f"/api/classes/{code}/events")
        listener.next("hello")
        started = time.time()
        server.proc.send_signal(signal.SIGINT)
        server.proc.wait(15)
        assert time.time() - started < 10
    finally:
        server.stop()


def test_a_push_tells_phones_how_long_to_spread_their_page_loads(classroom_server):
    base = classroom_server.url
    teacher = httpx.Client(base_url=base, headers=AS_TEACHER)
    code = teacher.post("/api/classes").json()["code"]
    assert teacher.post(f"/api/classes/{code}/push", json={"lab": "neuron", "state": {}}).json()["spread_ms"] == 0  # nobody online
    phones = []
    for i in range(3):
        c = httpx.Client(base_url=base)
        c.post(f"/api/classes/{code}/join", json={"nickname": f"p{i}"})
        phones.append(Listener(c, f"/api/classes/{code}/events"))
        phones[-1].next("hello")
    push = teacher.post(f"/api/classes/{code}/push", json={"lab": "neuron", "state": {}}).json()
    assert push["spread_ms"] == 3 * 17  # ~17 ms per phone online: 300 phones spread over ~5 s
    teacher.delete(f"/api/classes/{code}")
