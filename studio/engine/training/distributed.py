"""Multi-process training with PyTorch's own engine: ``torchrun --nproc_per_node=N -m studio train``.

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; Studio then uses DistributedDataParallel (NCCL on
GPUs, gloo on CPU), shards each epoch like DistributedSampler, and only rank 0 writes the run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    """This process's place in the job (rank 0 of 1 when not distributed)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_environment() -> DistContext:
    """The context torchrun describes in the environment (single process when it does not)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    return DistContext(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))


def init(ctx: DistContext, device: torch.device) -> bool:
    """Join the process group (NCCL for CUDA, gloo for CPU); True when this call created it."""
    if not ctx.enabled or dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, rank=ctx.rank, world_size=ctx.world, timeout=timedelta(minutes=10),
                            device_id=device if device.type == "cuda" else None)
    return True


def any_flags(flags: list[bool], device: torch.device, ctx: DistContext) -> list[bool]:
    """Each flag true on any process (every process must call this at the same step)."""
    if not ctx.enabled:
        return flags
    tensor = torch.tensor([float(f) for f in flags], device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return [bool(v) for v in tensor.tolist()]


def sum_values(values: list[float], device: torch.device, ctx: DistContext) -> list[float]:
    """Sums over all processes."""
    if not ctx.enabled:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def gather_objects(value: object, ctx: DistContext) -> list[object]:
    """``value`` of every process, by rank (in-job data only: the processes trust each other)."""
    if not ctx.enabled:
        return [value]
    out: list[object] = [None] * ctx.world
    dist.all_gather_object(out, value)
    return out


def wrap(model: torch.nn.Module, ctx: DistContext, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around ``model`` when distributed, else ``model``."""
    if not ctx.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def shutdown(created: bool) -> None:
    if created and dist.is_initialized():
        dist.destroy_process_group()
