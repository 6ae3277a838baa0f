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

    run_train_pack(settings, members, finish)   the packed "train" kind: app/ml/packed_job.py

Pure Keras 3 + jax.numpy; no TensorFlow.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.ml.design import TrainDesign, layer_table
from app.ml.training import build_model, load_model_bytes

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

        # the template: shapes and the forward pass, no weights of its own
        model, optimizer, loss_fn = build_model(design), make_optimizer(design), keras.losses.get(design.loss)
        optimizer.build(model.trainable_variables)
        non_trainable = [v.value for v in model.non_trainable_variables]
        self.model, self.loss_fn = model, loss_fn

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

        # On a CPU with several cores the worker makes one XLA device per core (app/jobs/worker.py):
        # the members are spread over them and each device loops over its share, all at once.
        self.devices = jax.devices()[:1] if self.vectorise else jax.devices()
        chunk, probs, self._replicated = _spread(self.devices, chunk, probs)
        self.chunk = jax.jit(chunk, donate_argnums=(0, 1))
        self.probs = jax.jit(probs)
        widest = max(math.prod(r["shape"]) for r in layer_table(design))  # numbers per image in the widest layer
        self.eval_rows = max(100, EVAL_FLOATS // widest)

    def rows(self, members) -> list[int]:
        """The stack rows of these members, padded with copies of the first to a multiple of the
        devices (a padding row trains like its original; its numbers are never read)."""
        members = list(members)
        return members + members[:1] * (-len(members) % len(self.devices))

    def shared(self, array: np.ndarray):
        """The training data, on every device once."""
        import jax

        return jax.device_put(array, self._replicated) if self._replicated is not None else jax.numpy.asarray(array)

    def probabilities(self, w, x: np.ndarray) -> np.ndarray:
        """[M, n, 10] softmax outputs of every member on the same images."""
        import jax

        members = int(jax.tree.leaves(w)[0].shape[0])
        rows = max(100, self.eval_rows // members)
        return np.concatenate([np.asarray(self.probs(w, x[i:i + rows])) for i in range(0, len(x), rows)], axis=1)


def _spread(devices: list, chunk, probs):
    """chunk and probs with the members (axis 0) split over the devices, each device looping over
    its share; the data goes to every device. (chunk, probs, the data's sharding or None)."""
    if len(devices) < 2:
        return chunk, probs, None
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    mesh = Mesh(np.array(devices), ("member",))
    spread, shared = PartitionSpec("member"), PartitionSpec()
    chunk = jax.shard_map(chunk, mesh=mesh, in_specs=(spread, spread, shared, shared, spread),
                          out_specs=spread, check_vma=False)
    probs = jax.shard_map(probs, mesh=mesh, in_specs=(spread, shared), out_specs=spread, check_vma=False)
    return chunk, probs, NamedSharding(mesh, shared)
