"""Data-parallel training under ``torchrun``: which clips a rank draws, one wrapped forward.

``torchrun --nproc_per_node=K`` starts K processes; once the caller has opened the process
group (``actionvos.batch.sharding.ProcessGroup``: gloo on CPU, NCCL on CUDA), the trainer
reads its rank from ``torch.distributed`` and

* draws only from its shard of the clips (:func:`shard_clips`, torch's
  ``DistributedSampler``: a deterministic split that pads by repeating clips, so every rank
  has some even when there are fewer clips than ranks);
* runs its forward through ``DistributedDataParallel`` (:class:`StepModule` is the forward
  that DDP needs: the network's encode/decode calls in one ``nn.Module``), which averages the
  gradients, so every rank takes the same optimiser step and ends with the same weights;
* agrees with the others on when to stop (:func:`agree`), so a cancel or a time limit seen by
  one rank never leaves the others waiting in a collective;
* writes checkpoints on rank 0 only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
from torch import nn

from actionvos.network import TextFeatures

T = TypeVar("T")


@dataclass(frozen=True)
class World:
    """This process's rank among ``size`` training processes (size 1: not distributed)."""

    rank: int = 0
    size: int = 1

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def current_world() -> World:
    """The process group the caller opened, or a single process when there is none."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size())
    return World()


class ShardedClips(Sequence):
    """The clips one rank trains on: a view by index, so lazy clip lists stay lazy."""

    def __init__(self, clips: Sequence[T], indices: list[int]) -> None:
        self.clips = clips
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> T:  # type: ignore[override]
        return self.clips[self.indices[i]]


def shard_clips(clips: Sequence[T], world: World) -> Sequence[T]:
    """Rank ``world.rank``'s share of ``clips`` (all of them for a single process)."""
    if not world.distributed:
        return clips
    from torch.utils.data import DistributedSampler

    sampler = DistributedSampler(
        range(len(clips)), num_replicas=world.size, rank=world.rank, shuffle=False
    )
    return ShardedClips(clips, [int(i) for i in sampler])


class StepModule(nn.Module):
    """The network's training forward (visual encoding, one text encoding per caption, the
    decoder with auxiliary outputs) as a module, so DDP can wrap it."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(
        self, frames: torch.Tensor, pixel_mask: torch.Tensor | None, token_ids: list[torch.Tensor]
    ) -> dict:
        vis = self.net.encode_visual(frames, pixel_mask)
        items = [self.net.encode_text(ids, torch.ones_like(ids)) for ids in token_ids]
        txt = items[0] if len(items) == 1 else TextFeatures.cat(items)
        return self.net.decode(vis, txt, with_aux=True)


def wrap(net: nn.Module, world: World, device: torch.device) -> nn.Module:
    """``StepModule(net)``, inside DistributedDataParallel when there are several ranks."""
    module = StepModule(net)
    if not world.distributed:
        return module
    from torch.nn.parallel import DistributedDataParallel

    ids = None
    if device.type == "cuda":
        ids = [device.index if device.index is not None else torch.cuda.current_device()]
    return DistributedDataParallel(
        module,
        device_ids=ids,
        # Presets freeze most of the network; what stays unused in a step must not stall
        # the gradient reduction.
        find_unused_parameters=True,
    )


def agree(flags: list[bool], world: World, device: torch.device) -> list[bool]:
    """Each flag true on every rank when it is true on any (a MAX all-reduce)."""
    if not world.distributed:
        return flags
    import torch.distributed as dist

    t = torch.tensor([int(f) for f in flags], dtype=torch.int64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def barrier(world: World, device: torch.device) -> None:
    if not world.distributed:
        return
    import torch.distributed as dist

    if device.type == "cuda":
        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()
