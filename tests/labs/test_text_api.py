"""The text lab's routes: POST /api/text/generate with the default model, the page and its htmx
fragment, a learner's model by job id (theirs only), the design preview, POST /api/jobs with
"kind": "text", and bad input → 422/404 in the learner's language with nothing enqueued."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.jobs import service
from app.jobs.tables import Job, utcnow
from app.jobs.queue import pending_count
from app.ml.text import build_model, manifest_for, vocabulary
from app.ml.text_design import TextDesign, parameter_count
from app.ml.training import model_bytes

EN = {"accept-language": "en"}


def generate(client, headers=None, **body):
    return client.post("/api/text/generate", json={"prompt": "床前明月", "length": 8, "temperature": 0, "seed": 1, **body},
                       headers=headers or {})


def test_the_default_model_completes_a_famous_line(client):
    r = generate(client, length=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["text"] == "光，疑是地", "greedy: the poem as 李白 wrote it (the continuation only)"
    assert [s["char"] for s in body["steps"]] == list(body["text"])
    first = body["steps"][0]["top"]
    assert len(first) == 5 and first[0]["char"] == "光" and first[0]["p"] > 0.5
    assert [c["p"] for c in first] == sorted((c["p"] for c in first), reverse=True)
    assert "generate;dur=" in r.headers["server-timing"]


def test_temperature_zero_is_deterministic_and_a_seed_reproduces(client):
    greedy = {generate(client, length=20, seed=s).json()["text"] for s in (1, 2, 3)}
    assert len(greedy) == 1
    hot = [generate(client, length=20, temperature=1.5, seed=s).json()["text"] for s in (1, 1, 2, 3, 4)]
    assert hot[0] == hot[1], "the same seed writes the same poem"
    assert len(set(hot)) > 2, "T = 1.5 with other seeds writes other poems"


def test_temperature_sharpens_or_flattens_the_bars(client):
    def top_p(t):
        return generate(client, prompt="春", length=1, temperature=t).json()["steps"][0]["top"][0]["p"]
    assert top_p(0.3) > top_p(1.0) > top_p(2.0)


@pytest.mark.parametrize("body, status, zh, en", [
    ({"prompt": "床前明月ABC"}, 422, "沒看過這些字：ABC", "never seen these characters: ABC"),
    ({"length": 501}, 422, "不能大於 500", "at most 500"),
    ({"temperature": -0.1}, 422, "不能小於 0", "at least 0"),
    ({"prompt": ""}, 422, "開頭", "prompt"),
    ({"model": "nosuchmodel"}, 404, "找不到寫詩模型", "no poem model"),
    ({"model": "digits-cnn"}, 404, "找不到寫詩模型", "no poem model"),
    ({"model": "../etc"}, 422, "輸入有誤", "check your input"),
])
def test_bad_input_is_refused_in_both_languages(client, body, status, zh, en):
    for headers, text in (({}, zh), (EN, en)):
        r = generate(client, headers=headers, **body)
        assert r.status_code == status, r.text
        assert text in r.json()["detail"]


def test_nan_temperature_is_refused(client):
    r = client.post("/api/text/generate", content='{"prompt": "春", "temperature": NaN}',
                    headers={"content-type": "application/json", **EN})
    assert r.status_code == 422 and "finite" in r.json()["detail"]


def test_the_page_writes_and_its_fragment_pushes_the_url(client):
    r = client.get("/text", params={"prompt": "春眠不覺", "temperature": 0, "length": 4})
    assert r.status_code == 200
    assert 'id="poem-written">曉，處處<' in r.text
    assert 'id="temperature-demo"' in r.text and r.text.count('class="text-step"') == 4
    r = client.get("/text/generate", params={"prompt": "白日依山", "temperature": 0, "length": 1}, headers={"hx-request": "true"})
    assert r.status_code == 200 and ">盡<" in r.text and "<html" not in r.text
    assert r.headers["hx-push-url"].startswith("/text?model=default&prompt=")
    r = client.get("/text", params={"prompt": "hello"})
    assert r.status_code == 422 and "hello" in r.text and 'id="text-form"' in r.text, "the form stays, with the message"
    assert client.get("/text", params={"temperature": "-1"}).status_code == 422


def add_text_job(settings, owner: str, status: str = "succeeded") -> str:
    """A finished text job of `owner` with a real (tiny, untrained) Keras model in its files."""
    design = TextDesign(units=8, embedding=4, epochs=1)
    vocab = vocabulary(design.corpus)
    job_id = service.new_job_id()
    manifest = manifest_for(job_id, owner, design, vocab, {"loss": 7.8})
    with session_scope(settings.database_url_resolved) as s:
        s.add(Job(id=job_id, kind="text", params=design.model_dump(), owner=owner, status=status, created=utcnow(),
                  progress={"stage": "done", "samples": [{"epoch": 1, "text": "春天"}]},
                  result={"manifest": manifest, "loss": 7.8, "parameters": parameter_count(design, len(vocab))}))
    service.save_file(settings, job_id, "model.keras", model_bytes(build_model(design, len(vocab))))
    return job_id


def test_a_learners_model_is_theirs_by_link_and_in_the_switch(client, settings):
    me = client.get("/text").cookies.get("pg_browser") or client.cookies.get("pg_browser")
    assert me
    mine, theirs = add_text_job(settings, me), add_text_job(settings, "someone-else")
    r = generate(client, model=mine, length=3, temperature=1, seed=5)
    assert r.status_code == 200 and len(r.json()["steps"]) == 3
    assert [m["id"] for m in client.get("/api/text/models").json()] == ["default", mine]
    page = client.get("/text", params={"model": mine})
    assert page.status_code == 200 and f'value="{mine}" selected' in page.text
    for headers, text in (({}, "找不到寫詩模型"), (EN, "no poem model")):
        r = generate(client, headers=headers, model=theirs)
        assert r.status_code == 404 and text in r.json()["detail"]
    assert client.get("/text", params={"model": theirs}).status_code == 404
    job = client.get(f"/api/jobs/{mine}").json()
    assert job["samples"] == [{"epoch": 1, "text": "春天"}]
    r = client.get(f"/train/jobs/{mine}")
    assert r.status_code == 200 and "春天" in r.text and f'href="/text?model={mine}"' in r.text


def test_a_model_still_training_cannot_write_yet(client, settings):
    me = client.get("/text").cookies.get("pg_browser") or client.cookies.get("pg_browser")
    job_id = add_text_job(settings, me, status="running")
    r = generate(client, model=job_id, headers=EN)
    assert r.status_code == 409 and "still training" in r.json()["detail"]


def test_the_design_preview_counts_parameters(client):
    r = client.post("/api/text/preview", json={"cell": "gru", "units": 32, "embedding": 16, "corpus": "song100"})
    assert r.status_code == 200
    body = r.json()
    v = body["vocabulary"]
    assert v == len(vocabulary("song100"))
    assert body["parameters"] == v * 16 + 3 * (32 * (16 + 32) + 2 * 32) + 32 * v + v
    assert "layers.GRU(32, return_sequences=True)" in body["code"]
    page = client.get("/text/train", params={"cell": "simplernn", "units": 10})
    assert page.status_code == 200 and 'id="cell-simplernn" name="cell" value="simplernn" checked' in page.text
    assert 'id="preset-tiny" href="/text/train?corpus=tang300&amp;cell=gru&amp;units=64' in page.text
    frag = client.get("/text/train/design", params={"cell": "gru"}, headers={"hx-request": "true"})
    assert frag.headers["hx-push-url"].startswith("/text/train?corpus=tang300&cell=gru")


def job_count(settings) -> int:
    with session_scope(settings.database_url_resolved) as s:
        return s.scalar(select(func.count()).select_from(Job))


def test_post_api_jobs_kind_text_enqueues_a_text_job(client, settings):
    body = {"kind": "text", "corpus": "tang300", "cell": "lstm", "units": 128, "embedding": 64, "sequence_length": 32,
            "batch_size": 64, "learning_rate": 0.005, "epochs": 2}
    before = pending_count(settings)
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 201, r.text
    job = client.get(f"/api/jobs/{r.json()['id']}").json()
    assert job["kind"] == "text" and job["status"] == "queued" and job["samples"] == []
    assert job["params"]["cell"] == "lstm" and r.json()["parameters"] == parameter_count(TextDesign(**body), len(vocabulary("tang300")))
    assert pending_count(settings) == before + 1


@pytest.mark.parametrize("body, zh, en", [
    ({"sequence_length": 1000}, "不能大於 200", "at most 200"),
    ({"epochs": 51}, "50", "50"),
    ({"units": 0}, "不能小於 1", "at least 1"),
    ({"cell": "transformer"}, "要是以下其中之一", "must be one of"),
    ({"learning_rate": -1}, "要大於 0", "greater than 0"),
])
def test_bad_text_jobs_are_refused_and_nothing_is_enqueued(client, settings, body, zh, en):
    before, rows = pending_count(settings), job_count(settings)
    for headers, text in (({}, zh), (EN, en)):
        r = client.post("/api/jobs", json={"kind": "text", **body}, headers=headers)
        assert r.status_code == 422, r.text
        assert text in r.json()["detail"]
    assert pending_count(settings) == before and job_count(settings) == rows


def test_a_text_model_over_the_parameter_limit_is_refused(settings):
    from fastapi.testclient import TestClient

    from app.main import create_app

    small = settings.model_copy(update={"max_parameters": 100_000})
    with TestClient(create_app(small)) as c:
        r = c.post("/api/jobs", json={"kind": "text", "units": 64}, headers=EN)
        assert r.status_code == 422 and "100,000" in r.json()["detail"]
        assert job_count(small) == 0


def test_the_corpus_downloads_for_the_keras_code(client):
    r = client.get("/text/corpus/song100.jsonl")
    assert r.status_code == 200 and r.text.count("\n") == 95
    assert client.get("/text/corpus/secret.jsonl").status_code == 404


def test_the_design_form_starts_a_job_with_and_without_htmx(client, settings):
    form = {"corpus": "song100", "cell": "simplernn", "units": "16", "embedding": "8", "sequence_length": "16",
            "batch_size": "32", "learning_rate": "0.01", "epochs": "1", "seed": "1"}
    r = client.post("/text/jobs", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/train/jobs/")
    job = client.get("/api/jobs/" + r.headers["location"].rsplit("/", 1)[1]).json()
    assert job["kind"] == "text" and job["params"]["cell"] == "simplernn" and job["params"]["corpus"] == "song100"
    r = client.post("/text/jobs", data=form, headers={"hx-request": "true"})
    assert r.status_code == 200 and r.headers["hx-redirect"].startswith("/train/jobs/")
    rows = job_count(settings)
    r = client.post("/text/jobs", data={**form, "units": "0"}, headers={"hx-request": "true", **EN})
    assert r.status_code == 422 and "at least 1" in r.text and "<html" not in r.text, "an error fragment for htmx"
    assert job_count(settings) == rows


def test_writing_never_loads_keras_in_the_web_process(settings, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = f"""
import sys
from fastapi.testclient import TestClient
from app.main import create_app
from app.settings import Settings
s = Settings(data_dir={str(tmp_path / 'web')!r}, assets_dir={str(settings.assets_dir)!r}, workers=0)
with TestClient(create_app(s)) as c:
    assert c.post("/api/text/generate", json={{"prompt": "春", "length": 20}}).status_code == 200
    assert c.get("/text").status_code == 200 and c.get("/text/train").status_code == 200
print(sorted(m for m in ("keras", "tensorflow", "jax", "torch") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]", "numpy only: no Keras, TensorFlow, JAX or PyTorch"


def test_a_teacher_can_push_the_poem_lab_to_every_phone(client):
    from app.classroom.presets import available_presets, build_push

    preset = next(p for p in available_presets() if p.lab == "text")
    push = build_push(preset.lab, preset.state)
    assert push["url"].startswith("/text?") and "temperature=0" in push["url"]
    assert client.get(push["url"]).status_code == 200, "the pushed page writes"
