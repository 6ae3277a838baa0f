"""A pack of same-shaped training jobs trained as one program (JAX backend; HFTA's idea).

When a lecture hall of students trains the same network with their own learning rates, every
job is the same computation with different numbers. Instead of one program per job (each paying
Keras's per-step overhead and its own compile), the pack stacks the M members' weights and
optimizer states along a new first axis and runs ONE jit-compiled step for all of them:

    member_step(w, opt, x, y)  = one Keras training step of one network     (stateless_call +
                                                                             optimizer.stateless_apply)
    pack_step = jax.vmap(member_step)                                        w: [M, …], x: [M, B, …]

Each member keeps what makes it itself: its initial weights (built by Keras from its own seed,
as a solo job builds them), its own learning rate (the optimizer's `learning_rate` variable is
part of the stacked optimizer state, so Keras's own SGD/Adam update runs with each member's η),
its own data order (the permutation a solo `model.fit` draws from its seed), its own epochs
(a member whose epochs are done leaves the pack at the end of that epoch and its job completes
then), its own cancel, progress, checkpoint, test result and `.keras` file.

Which jobs can share a pack (`pack_key`): same dataset, architecture, layer sizes, activation,
loss, optimizer kind, batch size and training subset. Learning rate, seed and epochs may differ.

    run_train_pack(settings, members, finish)   the packed "train" kind (app/jobs/kinds.py PACKS)

Pure Keras 3 + jax.numpy; no TensorFlow.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from app.ml.design import TrainDesign, layer_table
from app.ml.training import (CHECKPOINT, MODEL_FILE, build_model, compile_model, load_model_bytes, manifest_for,
                             metrics_from_probabilities, model_bytes, steps_per_execution, training_data)
from app.settings import Settings

log = logging.getLogger(__name__)

EVAL_FLOATS = 2**26  # members × images × widest layer per evaluation call: ~256 MB of activations
SHAPE_FIELDS = ("dataset", "architecture", "activation", "loss", "optimizer", "batch_size", "train_subset")


def pack_key(params: dict[str, Any]) -> str | None:
    """Jobs with the same key train as one program; None: this job trains alone."""
    try:
        design = TrainDesign.model_validate(params)
    except Exception:
        return None
    shape: dict[str, Any] = {name: getattr(design, name) for name in SHAPE_FIELDS}
    if design.architecture == "cnn":
        shape["conv_blocks"] = [b.model_dump() for b in design.conv_blocks]
        shape["dense_layers"] = design.dense_layers
    else:
        shape["hidden_layers"] = design.hidden_layers
    return json.dumps(shape, sort_keys=True)


@dataclass
class Member:
    """One job of the pack: its design, its reporter (app/jobs/progress.py) and where it stands."""

    job_id: str
    design: TrainDesign
    reporter: Any
    epoch: int = 0  # epochs done
    order: np.random.RandomState = field(init=False)
    done: bool = False  # finished, cancelled or failed: no longer in the program

    def __post_init__(self):
        # model.fit (JAX backend) draws each epoch's order with np.random.permutation after
        # keras.utils.set_random_seed(seed): the same stream, one per member. fit's first draw
        # goes to an iterator that only looks at the data; epoch 1 trains on the second.
        self.order = np.random.RandomState(self.design.seed)
        self._first_draw = True

    def permutation(self, n: int) -> np.ndarray:
        """The order of the next epoch's training digits, as model.fit would draw it."""
        if self._first_draw:
            self._first_draw = False
            self.order.permutation(n)
        return self.order.permutation(n)


def make_optimizer(design: TrainDesign):
    import keras

    return (keras.optimizers.SGD(learning_rate=design.learning_rate) if design.optimizer == "sgd"
            else keras.optimizers.Adam(learning_rate=design.learning_rate))


def initial_state(design: TrainDesign, checkpoint: bytes | None) -> tuple[list, list, int]:
    """(trainable values, optimizer variable values, epochs done) of one member, as numpy arrays:
    from its checkpoint when a worker died, else a fresh model built from its seed like a solo job's."""
    if checkpoint is not None:
        model = load_model_bytes(checkpoint)
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        return ([np.asarray(v.value) for v in model.trainable_variables],
                [np.asarray(v.value) for v in optimizer.variables], -1)
    model = build_model(design)
    optimizer = make_optimizer(design)
    optimizer.build(model.trainable_variables)
    return [np.asarray(v.value) for v in model.trainable_variables], [np.asarray(v.value) for v in optimizer.variables], 0


class PackProgram:
    """The compiled programs of one pack shape: a chunk of training steps, and evaluation."""

    def __init__(self, design: TrainDesign, vectorise: bool | None = None):
        import jax
        import jax.numpy as jnp
        import keras

        # vmap pays on a GPU (one kernel for M members); on a CPU a vmapped step is slower per member
        # than a solo one (bench/hall.py), so there the program loops over members with lax.map.
        self.vectorise = jax.default_backend() != "cpu" if vectorise is None else vectorise

        self.model = build_model(design)  # the template: shapes and the forward pass, no weights of its own
        self.optimizer = make_optimizer(design)
        self.optimizer.build(self.model.trainable_variables)
        self.non_trainable = [v.value for v in self.model.non_trainable_variables]
        loss_fn = keras.losses.get(design.loss)
        model, optimizer, non_trainable = self.model, self.optimizer, self.non_trainable

        def member_loss(w, x, y):
            y_pred, _ = model.stateless_call(w, non_trainable, x, training=True)
            return jnp.mean(loss_fn(y, y_pred)), y_pred

        grad = jax.value_and_grad(member_loss, has_aux=True)

        def member_step(w, opt, x, y):
            """One Keras training step of one network: dL/dw, then the optimizer's update."""
            (loss, y_pred), g = grad(w, x, y)
            w, opt = optimizer.stateless_apply(opt, g, w)
            correct = jnp.sum(jnp.argmax(y_pred, axis=-1) == jnp.argmax(y, axis=-1))
            return w, opt, loss, correct

        def member_chunk(w, opt, x_all, y_all, idx):
            """idx [steps, B]: one member's batches, step after step."""
            def body(carry, idx_s):
                w, opt, loss, correct = member_step(*carry, x_all[idx_s], y_all[idx_s])
                return (w, opt), (loss, correct)

            (w, opt), (loss, correct) = jax.lax.scan(body, (w, opt), idx)
            return w, opt, jnp.sum(loss) * idx.shape[-1], jnp.sum(correct)

        def member_probs(w, x):
            y_pred, _ = model.stateless_call(w, non_trainable, x, training=False)
            return y_pred

        # members along axis 0 of w, opt and idx [M, steps, B]; the data is shared, not stacked.
        if self.vectorise:  # GPU: the whole pack in each step, one wide kernel per layer
            chunk = jax.vmap(member_chunk, in_axes=(0, 0, None, None, 0))
            probs = jax.vmap(member_probs, in_axes=(0, None))
        else:  # CPU: member after member inside the one program; each runs at a solo job's speed
            def chunk(w, opt, x_all, y_all, idx):
                return jax.lax.map(lambda a: member_chunk(a[0], a[1], x_all, y_all, a[2]), (w, opt, idx))

            def probs(w, x):
                return jax.lax.map(lambda wm: member_probs(wm, x), w)

        self.chunk = jax.jit(chunk, donate_argnums=(0, 1))
        self.probs = jax.jit(probs)
        self.loss_fn = loss_fn
        widest = max(math.prod(r["shape"]) for r in layer_table(design))  # numbers per image in the widest layer
        self.eval_rows = max(100, EVAL_FLOATS // widest)

    def probabilities(self, w, x: np.ndarray) -> np.ndarray:
        """[M, n, 10] softmax outputs of every member on the same images."""
        import jax

        members = int(jax.tree.leaves(w)[0].shape[0])
        rows = max(100, self.eval_rows // members)
        return np.concatenate([np.asarray(self.probs(w, x[i:i + rows])) for i in range(0, len(x), rows)], axis=1)


class Timing:
    """How long the pack's device calls take: the first of each pack size includes its compile."""

    def __init__(self):
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
        return {"members": max(self.first, default=0), "first_call_s": round(sum(self.first.values()), 3),
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


def run_train_pack(settings: Settings, members: list[tuple[str, dict, Any]], finish: Callable[..., None]) -> None:
    """The packed "train" kind: members are (job_id, params, reporter) of same-shaped jobs
    (equal pack_key). finish(job_id, result=…) / finish(job_id, error=exc) records each job as
    soon as it is done; a job that is cancelled or runs past its timeout gets finish(job_id, result={})."""
    import jax.numpy as jnp

    timing = Timing()
    pack = [Member(job_id, TrainDesign.model_validate(params), reporter) for job_id, params, reporter in members]
    first = pack[0].design
    for m in pack:
        m.reporter.progress["packed"] = len(pack)
        m.reporter.stage("loading")
    data = training_data(settings, first)  # JobFailed("jobs.error_no_mnist") fails every member alike
    n = len(data["x_train"])
    batch = first.batch_size
    steps = -(-n // batch)
    full_steps, rest = divmod(n, batch)
    per_call = steps_per_execution(steps)

    weights, opt_values = [], []
    for m in pack:
        m.reporter.stage("compiling")
        stored = m.reporter.load_file(CHECKPOINT)
        try:
            w, opt, epoch = initial_state(m.design, stored[0] if stored else None)
        except Exception as exc:  # e.g. an unreadable checkpoint: this member fails, the others train
            m.done = True
            finish(m.job_id, error=exc)
            continue
        if epoch < 0:  # a worker died: carry on from the last completed epoch, with the same data order
            epoch = int(stored[1]["epoch"])
            m.reporter.progress["history"] = stored[1].get("history", [])
            m.reporter.progress["batches"] = [b for b in m.reporter.progress.get("batches", []) if b["x"] <= epoch]
            m.reporter.progress["epoch"] = epoch
            m.reporter.progress["resumed_from"] = epoch
        for _ in range(epoch):
            m.permutation(n)
        m.epoch = epoch
        weights.append(w)
        opt_values.append(opt)
    pack = [m for m in pack if not m.done]
    if not pack:
        return
    program = PackProgram(first)
    w, opt = _stack(weights), _stack(opt_values)
    x_all, y_all = jnp.asarray(data["x_train"]), jnp.asarray(data["y_train"])
    live = [m for m in pack]  # the members in the program, in stack order
    for m in live:
        m.reporter.begin_training(m.design.epochs, steps)
    flush = pack[0].reporter.flush  # in a pack: one database write for every member's progress
    flush()
    timing.phase("setup")

    def stopped(m: Member) -> bool:
        return m.reporter.cancelled() or m.reporter.timed_out()

    while True:
        keep = [i for i, m in enumerate(live) if not m.done and m.epoch < m.design.epochs]
        if not keep:
            break
        if len(keep) < len(live):  # members done or stopped leave the program
            w, opt = _take(w, keep), _take(opt, keep)
            live = [live[i] for i in keep]
        started = time.monotonic()
        order = np.stack([m.permutation(n) for m in live], axis=1)  # [n, M]
        loss_sum = np.zeros(len(live))
        correct = np.zeros(len(live))
        seen = 0
        step = 0
        while step < steps:
            k = min(per_call, full_steps - step) if step < full_steps else 1
            size = batch if step < full_steps else rest
            start = step * batch
            idx = order[start:start + k * size].reshape(k, size, len(live)).transpose(2, 0, 1)  # [M, steps, B]
            timing.phase("progress")
            w, opt, l_sum, c_sum = program.chunk(w, opt, x_all, y_all, jnp.asarray(idx, dtype=jnp.int32))
            loss_sum += np.asarray(l_sum)
            timing.chunk(len(live), k, time.perf_counter() - timing._t)
            timing.phase("steps")
            correct += np.asarray(c_sum)
            seen += k * size
            step += k
            for i, m in enumerate(live):
                if m.done:
                    continue
                if stopped(m):
                    m.done = True  # its numbers in the program are ignored from now on
                    finish(m.job_id, result={})
                elif step < steps:
                    m.reporter.batch(m.epoch + step / steps, {"loss": loss_sum[i] / seen, "accuracy": correct[i] / seen})
            flush()
            if all(m.done for m in live):
                break
        if all(m.done for m in live):
            continue
        timing.phase("progress")
        val_loss, val_accuracy = _val_logs(program, w, data)
        timing.phase("validation")
        seconds = time.monotonic() - started
        ending = []
        host = None  # the pack's values on the host, copied when a member needs its own file
        for i, m in enumerate(live):
            if m.done:
                continue
            m.epoch += 1
            logs = {"loss": loss_sum[i] / seen, "accuracy": correct[i] / seen,
                    "val_loss": val_loss[i], "val_accuracy": val_accuracy[i]}
            m.reporter.batch(float(m.epoch), logs)
            m.reporter.progress["pack_timing"] = timing.summary()
            m.reporter.epoch(m.epoch, logs, seconds)
            if m.epoch >= m.design.epochs:
                ending.append(i)
            else:
                if host is None:
                    host = _host(w), _host(opt)
                history = [h for h in m.reporter.progress.get("history", []) if h["epoch"] <= m.epoch]
                m.reporter.save_file(CHECKPOINT, member_model_bytes(program, m.design, steps, _row(host[0], i),
                                                                    _row(host[1], i)),
                                     {"epoch": m.epoch, "history": history})
        timing.phase("checkpoints")
        if ending:
            _finish_members(program, data, steps, w, opt, [(i, live[i]) for i in ending], finish)
        flush()
        timing.phase("finishing")
    log.info("pack of %d: %s", len(pack), timing.summary())


def _row(host: list[np.ndarray], i: int) -> list[np.ndarray]:
    return [a[i] for a in host]


def _finish_members(program: PackProgram, data, steps: int, w, opt, ending: list[tuple[int, Member]], finish) -> None:
    """Members whose last epoch just ended: test them together, then each gets its own result and model."""
    import jax.numpy as jnp

    rows = [i for i, _ in ending]
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
