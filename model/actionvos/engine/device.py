"""Where and at what precision the network runs.

``auto`` picks CUDA, then Apple MPS, then the CPU. bfloat16 autocast runs where the hardware
computes bfloat16 natively: CUDA, and CPUs with AVX512-BF16 or AMX (there it roughly halves the
time of inference). Elsewhere, and for training on the CPU, the network runs in float32 like
the official scripts; ``fp32`` asks for that everywhere, e.g. to compare with the reference
fixtures.
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


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX tiles).

    Without it, bfloat16 on the CPU is emulated and slower than float32.
    """
    cpu = torch.cpu
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in checks)


def native_bf16(device: torch.device) -> bool:
    """Whether bfloat16 autocast is fast on ``device``: CUDA, or a CPU with native bf16."""
    if device.type == "cuda":
        return True
    return device.type == "cpu" and cpu_has_native_bf16()


def resolve_precision(precision: str, device: torch.device, *, training: bool = False) -> str:
    """``auto`` -> ``bf16`` where :func:`native_bf16` (for ``training``: on CUDA only), else
    ``fp32``; ``bf16`` where it is not native falls back to fp32 with a warning."""
    precision = (precision or "auto").strip().lower()
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        fast = device.type == "cuda" if training else native_bf16(device)
        return "bf16" if fast else "fp32"
    if precision == "bf16" and not native_bf16(device):
        warnings.warn(
            "bf16 autocast is used only on CUDA and on CPUs with native bf16 (AVX512-BF16, "
            f"AMX); running in fp32 on this {device.type}",
            stacklevel=2,
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
    if precision == "bf16" and device.type in ("cuda", "cpu"):
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
