"""Training-order samplers that resume exactly: an interrupted run resumed from a checkpoint sees the batches the
uninterrupted run saw.

transformers' ``LengthGroupedSampler`` (``train_sampling_strategy: group_by_length``) draws each epoch's order from
torch's global random state at the moment the epoch starts. A resumed run starts from a fresh seed, so the epoch it
resumes in gets another order than the one the checkpoint was trained on (and the first resumed losses differ).
"""

from __future__ import annotations

import functools

import torch
from transformers.trainer_pt_utils import LengthGroupedSampler


class EpochSeededLengthGroupedSampler(LengthGroupedSampler):
    """``LengthGroupedSampler`` whose order depends on ``seed`` and the epoch only (the Trainer calls
    ``set_epoch`` before every epoch, on a fresh and on a resumed run alike)."""

    def __init__(self, batch_size: int, lengths: list[int], seed: int):
        super().__init__(batch_size, lengths=lengths, generator=torch.Generator())
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        self.generator.manual_seed(self.seed + self.epoch)
        return super().__iter__()


class SeededLengthGrouping:
    """Trainer mixin: the length-grouped training sampler seeded by ``data_seed`` (else ``seed``) and the epoch."""

    def _get_train_sampler(self, train_dataset=None):
        sampler = super()._get_train_sampler(train_dataset)
        if type(sampler) is not LengthGroupedSampler:  # random, sequential, or a trainer's own (GRPO's): as is
            return sampler
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        return EpochSeededLengthGroupedSampler(sampler.batch_size, sampler.lengths, seed)


@functools.cache
def with_seeded_length_grouping(trainer_cls: type) -> type:
    """``trainer_cls`` with :class:`SeededLengthGrouping` mixed in (same name, so logs and model cards read alike)."""
    if issubclass(trainer_cls, SeededLengthGrouping):
        return trainer_cls
    return type(trainer_cls.__name__, (SeededLengthGrouping, trainer_cls), {"__module__": trainer_cls.__module__})
