"""Which sequences this process predicts, when ``torchrun`` starts several.

``torchrun --nproc_per_node=K`` sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; rank r
takes items r, r + K, r + 2K, ... of a list every rank sorts the same way, so the ranks
split the work without talking. They meet only at barriers (before writing, so that no rank
sees another's fresh output as old output, and before rank 0 writes a summary). A
single process (no ``WORLD_SIZE``, or 1) opens no process group at all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from actionvos.errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """This process's place among ``world`` processes."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def take(self, items: Sequence[T]) -> list[T]:
        """Items r, r + world, ... of ``items`` (which every rank must order the same way)."""
        return list(items[self.rank :: self.world])


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise InputError(f"environment variable {name}={text!r} is not an integer") from None


def shard_from_env() -> Shard:
    """The shard torchrun describes in the environment; one process when it says nothing."""
    world = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local = _env_int("LOCAL_RANK", rank)
    if world < 1 or not 0 <= rank < world:
        raise InputError(f"RANK={rank} and WORLD_SIZE={world} do not fit (0 <= RANK < WORLD_SIZE)")
    return Shard(rank, world, local)


class ProcessGroup:
    """The torch process group of a sharded run (gloo on CPU, nccl on CUDA); a no-op for a
    single process. Use as a context manager; ``barrier()`` waits for every rank."""

    def __init__(self, shard: Shard, cuda: bool = False) -> None:
        self.shard = shard
        self.cuda = cuda
        self._started = False

    def __enter__(self) -> ProcessGroup:
        if self.shard.distributed:
            import torch.distributed as dist

            if not dist.is_initialized():
                if self.cuda:
                    import torch

                    torch.cuda.set_device(self.shard.local_rank)
                dist.init_process_group(backend="nccl" if self.cuda else "gloo")
                self._started = True
        return self

    def barrier(self) -> None:
        if not self.shard.distributed:
            return
        import torch.distributed as dist

        if self.cuda:
            dist.barrier(device_ids=[self.shard.local_rank])
        else:
            dist.barrier()

    def __exit__(self, *exc) -> None:
        if self._started:
            import torch.distributed as dist

            dist.destroy_process_group()
            self._started = False
