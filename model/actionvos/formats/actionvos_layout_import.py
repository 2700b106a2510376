"""Import one clip's sequences from an ActionVOS dataset layout into a store.

The layout is read by ``actionvos.io.dataset.ActionVOSDataset``. Palette value k of a
sequence is ``object_classes[k]``; objects are matched across sequences by name (as VISOR
does within a video). Actions are matched to existing ones by frames and narration, so
importing after the EPIC narrations does not duplicate them. Flags become pseudo-labels
(source ``rule``) with their ``handbox`` / ``narration`` reasons, unless told otherwise.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from actionvos.errors import ClipError, InputError
from actionvos.formats.common import ImportReport, Progress, frame_number, tick
from actionvos.formats.split_file import check_split_file
from actionvos.io.dataset import ActionVOSDataset, Sequence
from actionvos.store import FrameState, Source, Store


def _action_for(store: Store, seq: Sequence, report: ImportReport) -> int:
    start = store.frame_of_number(seq.start)
    end = min(store.frame_of_number(seq.end), store.n_frames - 1)
    for action in store.actions():
        if (action.start_frame, action.end_frame, action.narration) == (start, end, seq.narration):
            return action.id
    action_id = store.add_action(
        seq.narration,
        start,
        end,
        verb=seq.verb or None,
        noun=seq.noun or None,
        verb_class=seq.verb_class,
        noun_class=seq.noun_class,
    )
    report.actions.append(action_id)
    return action_id


def _fit(mask: np.ndarray, store: Store) -> np.ndarray:
    if mask.shape == (store.height, store.width):
        return mask
    img = Image.fromarray(mask.astype(np.uint8))
    return np.asarray(img.resize((store.width, store.height), Image.NEAREST))


def import_actionvos_layout(
    store: Store,
    root: str | Path,
    *,
    split: str = "train",
    video: str | None = None,
    state: FrameState = FrameState.HUMAN,
    source: Source = Source.RULE,
    overwrite: bool = False,
    save: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Import masks, actions and flags of ``video`` (default: the store's) from one split.

    Masks of another size are resized (nearest) to the store's. Frames already
    human-verified are kept unless ``overwrite``; a frame two sequences disagree on keeps
    the first sequence's masks and is reported.
    """
    video = video or store.video
    split_json = Path(root) / "ImageSets" / f"{split}.json"
    if split_json.is_file():
        check_split_file(split_json)
    try:
        dataset = ActionVOSDataset(root, split)
        seqs = [s for s in dataset if s.video == video]
        loaded = [(s, dataset.masks(s)) for s in seqs]
    except ClipError as exc:
        raise InputError(str(exc)) from None
    if not seqs:
        raise InputError(
            f"{root} split {split} has no sequences of video {video}; check the video id"
        )
    plan = []
    for seq, masks in loaded:
        where = f"{dataset.mask_folder(seq)}"
        indices = [store.frame_of_number(frame_number(n, where)) for n in seq.frame_names]
        bad = [i for i in indices if not 0 <= i < store.n_frames]
        if bad:
            raise InputError(f"{where}: frames {bad[:5]} are outside this clip of {video}")
        if masks is not None:
            unknown = sorted(set(np.unique(masks).tolist()) - {0} - set(seq.object_classes))
            if unknown:
                raise InputError(
                    f"{where}: mask values {unknown[:5]} have no entry in object_classes of "
                    f"sequence {seq.seq_id}"
                )
        plan.append((seq, masks, indices))

    report = ImportReport()
    written: dict[int, np.ndarray] = {}
    with store.import_step("import ActionVOS layout"):
        for n, (seq, masks, indices) in enumerate(plan):
            tick(progress, cancel, n, len(plan), "importing ActionVOS sequences")
            action_id = _action_for(store, seq, report)
            lut = np.zeros(max(seq.object_classes, default=0) + 1, dtype=np.uint16)
            for k, obj in seq.object_classes.items():
                class_id = obj.class_id if obj.class_id >= 0 else None
                lut[k] = store.ensure_object(obj.name, class_id)
                reasons = {"handbox": int(obj.handbox), "narration": int(obj.narration)}
                store.set_activity(
                    action_id, int(lut[k]), obj.positive, source=source, reasons=reasons
                )
            for t, index in enumerate(indices if masks is not None else []):
                labels = lut[_fit(masks[t], store)]
                if index in written:
                    if not np.array_equal(written[index], labels):
                        report.skipped.append(f"frame {index} differs between sequences")
                    continue
                if store.frame_state(index) is FrameState.HUMAN and not overwrite:
                    report.skipped.append(f"frame {index} is already human-verified")
                    continue
                store.set_masks(index, labels, state, record=False, overwrite_human=True)
                written[index] = labels
                report.frames.append(index)
        report.objects = sorted({o.name for s, _, _ in plan for o in s.object_classes.values()})
    if save:
        store.save()
    return report
