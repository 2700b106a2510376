"""What one annotation session holds: the model cache, the last run, the clip's optical flow
and the edit counter.

The widget owns exactly one :class:`Session`; nothing lives at module level, so two viewers
with two widgets never share a model or an unsaved flag. The model is named by a string that
:func:`actionvos.engine.loader.resolve_checkpoint` understands (a folder, a ``.pth``, or a bare
name found in the checkpoint directories), so a registry of named models plugs in unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from actionvos.engine.loader import load_engine
from actionvos.propagation.flow import FlowCache
from actionvos_napari.app.gc_pauses import loading_long_lived


@dataclass(frozen=True)
class RunRequest:
    """One model run, validated by the action form before it reaches a worker."""

    narration: str
    objects: tuple[str, ...]
    model: str  # "lite", a registry name, a model folder or an official .pth
    text_encoder: str | None
    device: str
    threshold: float
    short_side: int | None  # None: the model's own working resolution
    #: (first, last) frame, inclusive: run on part of the clip; None: the whole clip
    span: tuple[int, int] | None = None
    precision: str = "auto"  # auto: bf16 autocast where native (CUDA, AVX512-BF16/AMX CPUs)

    def with_threshold(self, threshold: float) -> RunRequest:
        return replace(self, threshold=float(threshold))


class EngineCache:
    """One loaded engine at a time, keyed by (model, text encoder, device).

    Loading a model takes seconds; keeping the last one lets re-runs start at once. The lock
    makes two overlapping workers load it only once.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._engine: Any = None
        self._lock = threading.Lock()

    def get(self, request: RunRequest) -> Any:
        key = (request.model, request.text_encoder, request.device, request.precision)
        with self._lock:
            if self._key != key:
                self._engine, self._key = None, None  # free the old model first
                with loading_long_lived():  # no UI stalls from collections while loading
                    self._engine = load_engine(
                        request.model,
                        text_encoder=request.text_encoder,
                        device=request.device,
                        precision=request.precision,
                    )
                self._key = key
            own = int(getattr(self._engine.net.config, "short_side", 360))
            self._engine.short_side = int(request.short_side or own)
            return self._engine


@dataclass
class Session:
    """The widget's state between runs: engine cache, last outcome, edits since the last save."""

    engines: EngineCache = field(default_factory=EngineCache)
    outcome: Any = None  # actionvos_napari.segment.job.SegmentOutcome
    store_path: str | None = None
    edit_count: int = 0
    saved_at: int = 0
    reviewed: set[str] = field(default_factory=set)
    # optical flow of the clip last propagated on: a second propagation reuses its flows
    flows: FlowCache | None = None
    #: called after every edit (the widget's autosave listens)
    on_edit: Callable[[], None] | None = None

    def edited(self) -> None:
        """A mask or flag changed (a paint stroke, a toggle, an undo)."""
        self.edit_count += 1
        if self.on_edit is not None:
            self.on_edit()

    @property
    def unsaved(self) -> bool:
        return self.edit_count != self.saved_at

    def mark_saved(self, count_at_start: int) -> bool:
        """Record a finished save; ``False`` when edits happened while it ran (still unsaved)."""
        self.saved_at = max(self.saved_at, count_at_start)
        return not self.unsaved

    def flow_cache(self, frames: Any) -> FlowCache:
        """The clip's flow cache, made on first use; another clip (``frames``) gets a new one."""
        if self.flows is None or self.flows.frames is not frames:
            self.flows = FlowCache(frames)
        return self.flows

    def keep_flows_of(self, frames: Any) -> None:
        """Forget the flows unless they are of ``frames`` (the clip changed or was closed)."""
        if self.flows is not None and self.flows.frames is not frames:
            self.flows = None

    def discard(self) -> None:
        """Forget unsaved edits (their layers were deleted or replaced)."""
        self.saved_at = self.edit_count
