"""The packed "train" kind: a pack of same-shaped jobs (app/ml/packed.py) trained epoch by epoch,
each member reporting, checkpointing, finishing and failing as itself.

    run_train_pack(settings, members, finish)   app/jobs/kinds.py PACKS["train"]
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from app.ml.design import TrainDesign
from app.ml.packed import Member, PackProgram, initial_state, make_optimizer
from app.ml.training import (CHECKPOINT, MODEL_FILE, compile_model, manifest_for, metrics_from_probabilities,
                             model_bytes, steps_per_execution, training_data)
from app.settings import Settings

log = logging.getLogger(__name__)


def run_train_pack(settings: Settings, members: list[tuple[str, dict, Any]], finish: Callable[..., None]) -> None:
    """The packed "train" kind: members are (job_id, params, reporter) of same-shaped jobs
    (equal pack_key). finish(job_id, result=…) / finish(job_id, error=exc) records each job as
    soon as it is done; a job that is cancelled or runs past its timeout gets finish(job_id, result={})."""
    run = PackRun.start(settings, members, finish)
    if run is None:
        return
    while run.go_on():
        started = time.monotonic()
        sums = run.one_epoch()
        if sums is not None:
            run.end_epoch(*sums, seconds=time.monotonic() - started)
    log.info("pack trained: %s", run.timing.summary())  # bench/hall.py reads this line


@dataclass
class PackRun:
    """The state of one pack while it trains: the program, the stacked values and the members in it."""

    program: PackProgram
    data: dict[str, np.ndarray]
    live: list[Member]  # the members in the program, in stack order
    w: list
    opt: list
    finish: Callable[..., None]
    timing: Timing
    device_data: tuple = ()  # the training images and labels on the devices, put there once per pack

    @classmethod
    def start(cls, settings: Settings, members: list[tuple[str, dict, Any]], finish) -> "PackRun | None":
        """Each member from its checkpoint or from its seed; one that cannot start fails alone."""
        timing = Timing()
        pack = [Member(job_id, TrainDesign.model_validate(params), reporter) for job_id, params, reporter in members]
        first = pack[0].design
        for m in pack:
            m.reporter.progress["packed"] = len(pack)
            m.reporter.stage("loading")
        data = training_data(settings, first)  # JobFailed("jobs.error_no_mnist") fails every member alike
        n = len(data["x_train"])
        steps = -(-n // first.batch_size)
        weights, opt_values = [], []
        for m in pack:
            m.reporter.stage("compiling")
            started = _resume(m, n, finish)
            if started is not None:
                weights.append(started[0])
                opt_values.append(started[1])
        live = [m for m in pack if not m.done]
        if not live:
            return None
        for m in live:
            m.reporter.begin_training(m.design.epochs, steps)
        live[0].reporter.flush()  # in a pack: one database write for every member's progress
        program = PackProgram(first)
        timing.devices = len(program.devices)
        rows = program.rows(range(len(live)))
        timing.phase("setup")
        return cls(program, data, live, _stack([weights[i] for i in rows]), _stack([opt_values[i] for i in rows]),
                   finish, timing)

    @property
    def design(self) -> TrainDesign:
        return self.live[0].design

    @property
    def steps(self) -> int:
        return -(-len(self.data["x_train"]) // self.design.batch_size)

    def go_on(self) -> bool:
        """Members done or stopped leave the program; False when none is left."""
        keep = [i for i, m in enumerate(self.live) if not m.done and m.epoch < m.design.epochs]
        if keep and len(keep) < len(self.live):
            self.w, self.opt = _take(self.w, self.program.rows(keep)), _take(self.opt, self.program.rows(keep))
            self.live = [self.live[i] for i in keep]
        return bool(keep)

    def one_epoch(self) -> tuple[np.ndarray, np.ndarray, int] | None:
        """Every member's steps of one epoch, each in its own data order; None: all stopped meanwhile."""
        import jax.numpy as jnp

        n, batch, steps, live = len(self.data["x_train"]), self.design.batch_size, self.steps, self.live
        full_steps, rest = divmod(n, batch)
        per_call = steps_per_execution(steps)
        if not self.device_data:
            self.device_data = self.program.shared(self.data["x_train"]), self.program.shared(self.data["y_train"])
        x_all, y_all = self.device_data
        rows = self.program.rows(range(len(live)))
        order = np.stack([m.permutation(n) for m in live], axis=1)  # [n, M]
        loss_sum, correct = np.zeros(len(live)), np.zeros(len(live))
        seen = step = 0
        while step < steps:
            k = min(per_call, full_steps - step) if step < full_steps else 1
            size = batch if step < full_steps else rest
            idx = order[step * batch:step * batch + k * size].reshape(k, size, len(live)).transpose(2, 0, 1)[rows]  # [M, steps, B]
            self.timing.phase("progress")
            self.w, self.opt, l_sum, c_sum = self.program.chunk(self.w, self.opt, x_all, y_all,
                                                                jnp.asarray(idx, dtype=jnp.int32))
            loss_sum += np.asarray(l_sum)[:len(live)]
            self.timing.chunk(len(live), k, time.perf_counter() - self.timing._t)
            self.timing.phase("steps")
            correct += np.asarray(c_sum)[:len(live)]
            seen += k * size
            step += k
            self._report(step, loss_sum / seen, correct / seen)
            if all(m.done for m in live):
                return None
        return loss_sum, correct, seen

    def _report(self, step: int, loss: np.ndarray, accuracy: np.ndarray) -> None:
        for i, m in enumerate(self.live):
            if m.done:
                continue
            if m.reporter.cancelled() or m.reporter.timed_out():
                m.done = True  # its numbers in the program are ignored from now on
                self.finish(m.job_id, result={})
            elif step < self.steps:
                m.reporter.batch(m.epoch + step / self.steps, {"loss": loss[i], "accuracy": accuracy[i]})
        self.live[0].reporter.flush()

    def end_epoch(self, loss_sum: np.ndarray, correct: np.ndarray, seen: int, seconds: float) -> None:
        """Validation, each member's epoch line, checkpoints, and the members whose last epoch it was."""
        self.timing.phase("progress")
        val_loss, val_accuracy = _val_logs(self.program, self.w, self.data)
        self.timing.phase("validation")
        ending, host = [], None  # host: the pack's values on the host, copied when a member needs its own file
        for i, m in enumerate(self.live):
            if m.done:
                continue
            m.epoch += 1
            logs = {"loss": loss_sum[i] / seen, "accuracy": correct[i] / seen,
                    "val_loss": val_loss[i], "val_accuracy": val_accuracy[i]}
            m.reporter.batch(float(m.epoch), logs)
            m.reporter.progress["pack_timing"] = self.timing.summary()
            m.reporter.epoch(m.epoch, logs, seconds)
            if m.epoch >= m.design.epochs:
                ending.append(i)
                continue
            if host is None:
                host = _host(self.w), _host(self.opt)
            history = [h for h in m.reporter.progress.get("history", []) if h["epoch"] <= m.epoch]
            m.reporter.save_file(CHECKPOINT, member_model_bytes(self.program, m.design, self.steps, _row(host[0], i),
                                                                _row(host[1], i)), {"epoch": m.epoch, "history": history})
        self.timing.phase("checkpoints")
        if ending:
            _finish_members(self.program, self.data, self.steps, self.w, self.opt,
                            [(i, self.live[i]) for i in ending], self.finish)
        self.live[0].reporter.flush()
        self.timing.phase("finishing")


def _resume(m: Member, n: int, finish) -> tuple[list, list] | None:
    """A member's weights and optimizer state: from its seed, or from the checkpoint of a worker that
    died (then with the same data order as before); None: it cannot start (it fails, the others train)."""
    stored = m.reporter.load_file(CHECKPOINT)
    try:
        w, opt, epoch = initial_state(m.design, stored[0] if stored else None)
    except Exception as exc:  # e.g. an unreadable checkpoint
        m.done = True
        finish(m.job_id, error=exc)
        return None
    if epoch < 0:  # carry on from the last completed epoch
        epoch = int(stored[1]["epoch"])
        m.reporter.progress["history"] = stored[1].get("history", [])
        m.reporter.progress["batches"] = [b for b in m.reporter.progress.get("batches", []) if b["x"] <= epoch]
        m.reporter.progress["epoch"] = epoch
        m.reporter.progress["resumed_from"] = epoch
    for _ in range(epoch):
        m.permutation(n)
    m.epoch = epoch
    return w, opt


class Timing:
    """How long the pack's device calls take: the first of each pack size includes its compile."""

    def __init__(self):
        self.devices = 1  # the XLA devices the members are spread over
        self.first: dict[int, float] = {}  # pack size → seconds of its first call (compile + run)
        self.per_step: list[float] = []  # seconds per step of the later calls
        self.phases: dict[str, float] = {}  # setup, validation, checkpoints, finishing: seconds in all
        self._t = time.perf_counter()

    def phase(self, name: str) -> None:
        """The time since the last mark goes to `name`."""
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - self._t
        self._t = now

    def chunk(self, members: int, steps: int, seconds: float) -> None:
        if members not in self.first:
            self.first[members] = seconds
        else:
            self.per_step.append(seconds / steps)

    def summary(self) -> dict[str, Any]:
        step = float(np.median(self.per_step)) if self.per_step else None
        return {"members": max(self.first, default=0), "devices": self.devices, "first_call_s": round(sum(self.first.values()), 3),
                "step_ms": round(step * 1000, 3) if step else None,
                **{f"{name}_s": round(t, 3) for name, t in self.phases.items()}}


def _stack(arrays: list[list[np.ndarray]]):
    """Members' values → one array per variable with the members on axis 0 (host-side, no JAX op)."""
    import jax.numpy as jnp

    return [jnp.asarray(np.stack([a[i] for a in arrays])) for i in range(len(arrays[0]))]


def _take(stacked: list, keep: list[int]):
    import jax.numpy as jnp

    return [jnp.asarray(np.asarray(a)[keep]) for a in stacked]


def _host(stacked: list) -> list[np.ndarray]:
    """The stacked values copied to the host once, to slice each member's out of them."""
    return [np.asarray(a) for a in stacked]


def member_model_bytes(program: PackProgram, design: TrainDesign, steps: int, w: list, opt: list) -> bytes:
    """One member as a compiled Keras model with its optimizer state: the same .keras file a solo
    job saves (its checkpoint, and its final model for the digit lab)."""
    model = program.model
    compile_model(model, design, steps, optimizer=make_optimizer(design))
    model.optimizer.build(model.trainable_variables)
    for v, value in zip(model.trainable_variables, w):
        v.assign(value)
    for v, value in zip(model.optimizer.variables, opt):
        v.assign(value)
    return model_bytes(model)


def _val_logs(program: PackProgram, w, data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Validation loss and accuracy per member, as model.fit's validation_data reports them."""
    import keras

    probs = program.probabilities(w, data["x_val"])
    y = data["y_val"]
    loss = np.asarray(keras.ops.mean(program.loss_fn(np.broadcast_to(y, probs.shape), probs), axis=-1))
    accuracy = (probs.argmax(-1) == y.argmax(-1)[None]).mean(axis=-1)
    return loss, accuracy


def _row(host: list[np.ndarray], i: int) -> list[np.ndarray]:
    return [a[i] for a in host]


def _finish_members(program: PackProgram, data, steps: int, w, opt, ending: list[tuple[int, Member]], finish) -> None:
    """Members whose last epoch just ended: test them together, then each gets its own result and model."""
    import jax.numpy as jnp

    rows = program.rows([i for i, _ in ending])
    w_host, opt_host = _host(w), _host(opt)
    probs = program.probabilities([jnp.asarray(a[rows]) for a in w_host], data["x_test"])
    for k, (i, m) in enumerate(ending):
        m.done = True
        try:
            m.reporter.stage("testing")
            metrics = metrics_from_probabilities(probs[k], data["y_test"])
            manifest = manifest_for(m.job_id, m.reporter.owner, m.design, {"test_accuracy": metrics["test_accuracy"]})
            m.reporter.save_file(MODEL_FILE, member_model_bytes(program, m.design, steps, _row(w_host, i),
                                                                _row(opt_host, i)), {"model_id": manifest["id"]})
            m.reporter.delete_file(CHECKPOINT)
            result = {**metrics, "parameters": int(program.model.count_params()), "manifest": manifest,
                      "history": m.reporter.progress.get("history", [])}
        except Exception as exc:  # this member fails; the others go on
            finish(m.job_id, error=exc)
            continue
        finish(m.job_id, result=result)
