"""The Keras callback that turns fit() into live progress on the job page (worker side only)."""

from __future__ import annotations

import time

import keras

BATCH_POINTS_PER_EPOCH = 10  # points of the within-epoch curve


class JobProgressCallback(keras.callbacks.Callback):
    """Loss/accuracy every few batches and per epoch → the jobs table; stop when cancelled.

    `reporter` is the job's app/jobs/progress.Reporter (this module imports nothing of app).

    With steps_per_execution=k Keras calls on_train_batch_end once per k steps, with `batch`
    the index of the last step; that is also where `model.stop_training` takes effect.
    """

    def __init__(self, reporter, epochs: int, steps_per_epoch: int):
        super().__init__()
        self.reporter = reporter
        self.epochs = epochs
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.every = max(1, self.steps_per_epoch // BATCH_POINTS_PER_EPOCH)
        self._epoch = 0
        self._epoch_start = time.monotonic()
        self._next_point = self.every

    def on_train_begin(self, logs=None):
        self.reporter.begin_training(self.epochs, self.steps_per_epoch)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_start = time.monotonic()
        self._next_point = self.every

    def on_train_batch_end(self, batch, logs=None):
        step = batch + 1
        if step >= self._next_point and step < self.steps_per_epoch:
            self._next_point = step + self.every
            self.reporter.batch(self._epoch + step / self.steps_per_epoch, logs or {})
        if self.reporter.cancelled() or self.reporter.timed_out():
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.model.stop_training and (self.reporter.cancelled() or self.reporter.timed_out()):
            return  # an interrupted epoch is not a finished one
        self.reporter.batch(epoch + 1.0, logs or {})
        self.reporter.epoch(epoch + 1, logs or {}, time.monotonic() - self._epoch_start)
