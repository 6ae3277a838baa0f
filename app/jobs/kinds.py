"""The kinds of job the workers know, and THE SEAM for adding one.

A job kind is a function that a worker calls to do the work of one job:

    def run(settings: Settings, job_id: str, params: dict, reporter: Reporter) -> dict:
        ...                      # the long computation (Keras import inside: the web never loads it)
        return {"test_accuracy": 0.97, ...}     # stored in jobs.result (JSON)

`params` is what the web side validated and passed to `submit_job(settings, kind, params, owner)`
(app/jobs/service.py). The `reporter` (app/jobs/progress.py) is how the function talks back:

    reporter.stage("loading")                   # what the page shows before the first epoch
    reporter.callback(epochs, steps_per_epoch)  # a keras.callbacks.Callback: progress curves,
                                                # heartbeat, stop at the next batch when cancelled
    reporter.epoch(n, logs) / reporter.batch(x, logs)   # the same by hand, for a non-Keras loop
    reporter.cancelled()                        # True once the learner pressed cancel
    reporter.save_file(name, data, meta) / reporter.load_file(name)   # bytes kept with the job
                                                # (checkpoints, the trained .keras model)
    reporter.initial_epoch                      # > 0 when this run resumes after a crash
    reporter.owner                              # the browser id that submitted the job

Raise `JobFailed("i18n.key")` for a failure the learner should read in their language; any other
exception fails the job with its message. A cancelled job may just return early.

To add a kind: write the function (in the package that owns it: app/classifiers/job.py) and add one line to KINDS below.
Everything else is generic: the queue, the worker, GET /api/jobs/{id}, POST /api/jobs/{id}/cancel,
the per-browser limit, crash recovery, and the live job page /train/jobs/{id} (which shows the
curves from progress.history / progress.batches for any kind).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from app.errors import JobFailed  # noqa: F401  (importable from here too, as before)

# kind → "module:function", imported only inside the worker process.
KINDS: dict[str, str] = {
    "train": "app.ml.training:run_train_job",
    "transfer": "app.classifiers.job:run_transfer_job",  # a learner's photo classifier
    "text": "app.ml.text:run_text_job",  # a poem model (app/labs/text.py)
    "rnn_memory": "app.ml.rnn_memory:run_memory_job",  # remember the first symbol after N steps (/rnn/memory)
    "gan": "app.ml.gan_job:run_gan_job",  # a conditional GAN that writes digits (app/labs/gan.py)
}

# kind → ("module:pack_key", "module:run_pack"): kinds whose same-shaped jobs a JAX worker trains
# as ONE program (app/jobs/packing.py). pack_key(params) → str | None (None: this job trains alone);
# run_pack(settings, [(job_id, params, reporter), …], finish) calls finish(job_id, result=…) or
# finish(job_id, error=exc) for each job as soon as it is done.
PACKS: dict[str, tuple[str, str]] = {
    "train": ("app.ml.packed:pack_key", "app.ml.packed_job:run_train_pack"),  # a class training the same network
}

JobFunction = Callable[..., dict[str, Any]]


def _load(target: str):
    module_name, _, func = target.partition(":")
    return getattr(importlib.import_module(module_name), func)


def pack_functions(kind: str) -> tuple[Callable[[dict], str | None], Callable[..., None]] | None:
    """(pack_key, run_pack) of a kind that can be packed, else None."""
    if kind not in PACKS:
        return None
    key, run = PACKS[kind]
    return _load(key), _load(run)


def job_function(kind: str) -> JobFunction:
    if kind not in KINDS:
        raise KeyError(f"unknown job kind {kind!r}")
    return _load(KINDS[kind])
