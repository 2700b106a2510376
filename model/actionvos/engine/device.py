"""Where and at what precision the network runs.

``auto`` picks CUDA, then Apple MPS, then the CPU. bfloat16 autocast is used only on CUDA,
where it is fast and well supported; elsewhere the network runs in float32 like the official
inference, so CPU results are comparable with the reference fixtures.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import torch

from actionvos.errors import DeviceMemoryError, InputError

DEVICES = ("auto", "cuda", "mps", "cpu")
PRECISIONS = ("auto", "fp32", "bf16")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """Turn ``auto``/``cuda``/``cuda:1``/``mps``/``cpu`` into an available ``torch.device``."""
    if isinstance(name, torch.device):
        name = str(name)
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"unknown device {name!r}; use one of {', '.join(DEVICES)}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' was asked for but this torch sees no CUDA GPU; use 'cpu'")
    if device.type == "mps" and not _mps_available():
        raise InputError("device 'mps' was asked for but it is not available; use 'cpu'")
    if device.type not in ("cuda", "mps", "cpu"):
        raise InputError(f"unsupported device {name!r}; use one of {', '.join(DEVICES)}")
    return device


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` -> ``bf16`` on CUDA, ``fp32`` elsewhere; ``bf16`` off CUDA falls back to fp32."""
    precision = (precision or "auto").strip().lower()
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    if precision == "bf16" and device.type != "cuda":
        warnings.warn(
            f"bf16 autocast is used only on CUDA; running in fp32 on {device.type}", stacklevel=2
        )
        return "fp32"
    return precision


@contextlib.contextmanager
def device_memory(device: torch.device, what: str) -> Iterator[None]:
    """Turn the accelerator running out of memory into an error that says what to do."""
    try:
        yield
    except torch.OutOfMemoryError as exc:
        if device.type == "cuda":
            torch.cuda.empty_cache()
        raise DeviceMemoryError(
            f"{device} ran out of memory {what}; use a smaller working resolution, fewer "
            "objects at once, fewer frames, or the CPU (device cpu)"
        ) from exc


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for a resolved ``(device, precision)``; a no-op for fp32."""
    if precision == "bf16" and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
