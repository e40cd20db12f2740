"""Resuming a training loop: model, optimizer, epoch count and history saved in one folder.

:class:`Checkpoint` keeps the four in a ``tf.train.Checkpoint``. ``CheckpointManager.save``
writes a new checkpoint's files first and only then swaps the small index file that names the
latest one, so a crash while saving leaves the previous checkpoint whole. The two latest are kept.
"""

import json

import tensorflow as tf


class Checkpoint:
    """Save and restore ``model``, ``optimizer``, the epochs done and a history in ``directory``.

    The history is any dict that JSON can hold (one list per measurement, say). Build the model
    and the optimizer before :meth:`restore`, so that they have variables to restore into.
    """

    def __init__(self, directory, model, optimizer):
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.history = tf.Variable("{}", dtype=tf.string, trainable=False)
        self.checkpoint = tf.train.Checkpoint(
            model=model, optimizer=optimizer, epoch=self.epoch, history=self.history
        )
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(directory), max_to_keep=2)

    def restore(self):
        """Load the latest checkpoint; return ``(epochs_done, history)``, or ``(0, {})`` if none."""
        latest = self.manager.latest_checkpoint
        if latest is None:
            return 0, {}
        self.checkpoint.restore(latest).assert_existing_objects_matched()
        return int(self.epoch.numpy()), json.loads(self.history.numpy().decode())

    def save(self, epochs_done, history):
        """Write a checkpoint numbered ``epochs_done`` holding ``history`` (a JSON-able dict)."""
        self.epoch.assign(epochs_done)
        self.history.assign(json.dumps(history))
        self.manager.save(checkpoint_number=epochs_done)
