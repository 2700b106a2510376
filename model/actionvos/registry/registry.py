"""The model registry: one place that turns a name or a path into a model to load.

Names resolve in this order: ``lite`` (the weights shipped in ``actionvos_resources``), a path
that exists, then a bare name in the checkpoint directories
(:func:`actionvos.paths.checkpoint_dirs`).
Listing scans those directories for official ``.pth`` files and for our model folders
(``model.safetensors`` + ``config.json``); a folder that a training run wrote (``training.json``)
is shown with its parent and step count, and fine-tuned versions (``finetuned/<name>``, see
:mod:`actionvos.finetune.versions`) with their parent, preset and before/after gIoU. A model
asked for without a name is the selected version, or ``lite`` when none is selected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from actionvos.errors import CheckpointError
from actionvos.paths import checkpoint_dirs

LITE = "lite"
#: Folder names under the checkpoint directories that hold a roberta-base tokenizer.
ROBERTA_DIRS = ("roberta-base", "roberta")


@dataclass(frozen=True)
class ModelEntry:
    """A usable model. ``kind``: shipped, official (a .pth), saved (our folder) or trained."""

    name: str
    kind: str
    path: Path
    description: str
    tokenizer: Path | None = None
    parent: str | None = None
    selected: bool = False

    @property
    def reference(self) -> str:
        """How a run records the model it started from: the name, where the registry finds
        it by name on any machine (the shipped Lite, fine-tuned versions), else its path."""
        return self.name if self.kind in ("shipped", "finetuned") else str(self.path)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "path": str(self.path),
            "description": self.description,
            "tokenizer": None if self.tokenizer is None else str(self.tokenizer),
            "parent": self.parent,
            "selected": self.selected,
        }


def shipped_lite_dir() -> Path:
    """The shipped ActionVOS-Lite weights (package data of ``actionvos_resources``)."""
    folder = Path(str(resources.files("actionvos_resources") / "models" / LITE))
    if not (folder / "model.safetensors").is_file():
        raise CheckpointError(
            f"the shipped ActionVOS-Lite weights are missing from {folder}; reinstall "
            "actionvos-napari, or train them again (`actionvos train --out runs/lite`, about "
            "80 minutes on a laptop CPU) and give that folder as the model"
        )
    return folder


def _roberta_dir(folders: list[Path]) -> Path | None:
    for folder in folders:
        for name in ROBERTA_DIRS:
            if (folder / name / "tokenizer.json").is_file() or (
                folder / name / "vocab.json"
            ).is_file():
                return folder / name
    return None


def _training_record(folder: Path) -> dict | None:
    """The ``training.json`` a training run wrote, or None for a plain saved model."""
    try:
        data = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _trained(folder: Path) -> tuple[str, str | None]:
    data = _training_record(folder)
    return ("saved", None) if data is None else ("trained", data.get("parent"))


def _describe_trained(data: dict) -> str:
    return f"trained {data.get('step', '?')} steps" + (
        f" from {data['parent']}" if data.get("parent") else ""
    )


def _describe_version(record) -> str:  # noqa: ANN001  (a finetune.versions.VersionRecord)
    def giou(m: dict | None) -> str:
        v = None if m is None else m.get("giou")
        return "?" if v is None else f"{100 * v:.1f}"

    return (
        f"fine-tuned from {record.parent} ({record.preset}, {record.steps} steps); "
        f"held-out gIoU {giou(record.metrics_before)} -> {giou(record.metrics_after)}"
    )


def _versions(folders: list[Path], seen: set[str]) -> list[ModelEntry]:
    from actionvos.finetune.versions import FINETUNED_DIR, list_versions, selected

    chosen = selected(folders[0] / FINETUNED_DIR) if folders else None
    out = []
    for folder in folders:
        for path, record in list_versions(folder / FINETUNED_DIR):
            if path.name in seen:
                continue
            seen.add(path.name)
            out.append(
                ModelEntry(
                    path.name,
                    "finetuned",
                    path,
                    _describe_version(record),
                    None,
                    record.parent,
                    selected=path.name == chosen,
                )
            )
    return out


def selected_name() -> str | None:
    """The model selected as the default (``actionvos models --select``), or None."""
    from actionvos.finetune.versions import selected

    return selected()


def list_models(folders: list[Path] | None = None) -> list[ModelEntry]:
    """Every model available here, the shipped Lite first, fine-tuned versions last."""
    folders = checkpoint_dirs() if folders is None else folders
    entries: list[ModelEntry] = []
    try:
        lite = shipped_lite_dir()
        entries.append(
            ModelEntry(
                LITE,
                "shipped",
                lite,
                "ActionVOS-Lite (EfficientNet-Lite0 + MiniLM), "
                "trained on synthetic kitchens; the default",
                selected=selected_name() in (None, LITE),
            )
        )
    except CheckpointError:
        pass
    roberta = _roberta_dir(folders)
    seen: set[str] = {LITE}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name in seen:
                continue
            if path.is_file() and path.suffix == ".pth":
                need = "roberta-base tokenizer: " + (
                    str(roberta) if roberta else f"not found (put it in {folder / 'roberta-base'})"
                )
                entries.append(
                    ModelEntry(path.name, "official", path, f"official checkpoint; {need}", roberta)
                )
                seen.add(path.name)
            elif (
                path.is_dir()
                and (path / "model.safetensors").is_file()
                and (path / "config.json").is_file()
            ):
                data = _training_record(path)
                kind, parent = ("saved", None) if data is None else ("trained", data.get("parent"))
                desc = "a saved actionvos model" if data is None else _describe_trained(data)
                entries.append(ModelEntry(path.name, kind, path, desc, None, parent))
                seen.add(path.name)
    return entries + _versions(folders, seen)


def calibrated_threshold(name: str | Path | None) -> float:
    """The θ a model was calibrated at (its ``config.json``), else the paper's 0.75.

    Read from the config file alone, without loading weights, so a form can follow the model
    row as the user types. A name that does not resolve gets the paper's value; loading it
    will say what is wrong.
    """
    from actionvos.engine.postprocess import POSITIVE_THRESHOLD

    try:
        entry = resolve_model(name)
    except CheckpointError:
        return POSITIVE_THRESHOLD
    config = entry.path / "config.json"
    if not config.is_file():
        return POSITIVE_THRESHOLD
    try:
        value = json.loads(config.read_text()).get("pos_cls_threshold")
    except (OSError, ValueError, AttributeError):
        return POSITIVE_THRESHOLD
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return POSITIVE_THRESHOLD
    return float(value)


def resolve_model(name: str | Path | None) -> ModelEntry:
    """The entry for ``name`` (None: the selected model, else ``lite``); a path is taken as
    it is."""
    if name is None:
        chosen = selected_name()
        if chosen not in (None, LITE):
            try:
                return resolve_model(chosen)
            except CheckpointError as exc:
                raise CheckpointError(
                    f"the selected model {chosen!r} cannot be used ({exc}); select another "
                    "with `actionvos models --select NAME` (or --select lite)"
                ) from None
    if name is None or str(name) == LITE:
        return ModelEntry(LITE, "shipped", shipped_lite_dir(), "ActionVOS-Lite")
    path = Path(name).expanduser()
    if path.exists():
        kind = "official" if path.is_file() else _trained(path)[0]
        return ModelEntry(
            path.name,
            kind,
            path,
            str(path),
            _roberta_dir(checkpoint_dirs()) if path.is_file() else None,
        )
    if len(path.parts) == 1:
        for entry in list_models():
            if entry.name == str(name):
                return entry
    searched = ", ".join(str(d) for d in checkpoint_dirs())
    raise CheckpointError(
        f"model {name} does not exist: it is not 'lite', not an existing path, and not in the "
        f"checkpoint directories ({searched}); `actionvos models` lists what is available"
    )
