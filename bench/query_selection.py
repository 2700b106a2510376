"""How much of an active object's mask IoU is lost to the choice of query, and how much to the
masks themselves.

The network draws one mask per query (Lite has 5); the official post-processing keeps the
query with the highest class score, averaged over the window, and a model with a query ranker
keeps the query its ranker scores highest. This script scores, for every active object of
held-out synthetic clips (ungated masks, mean IoU over the frames that show the object):

* ``chosen``: the query the engine keeps (the ranker's pick, else the class head's);
* ``best query``: the query with the best IoU over the clip (what a perfect pick is);
* ``best per frame``: the best query of each frame (a bound: the engine picks one per window);
* ``ceiling``: the truth itself pushed through the stride-4 mask grid and upsampled back (the
  most a stride-4 mask can score at this working resolution).

Models are compared side by side in one run on the same clips:

    python bench/query_selection.py                        # the shipped lite, default style
    python bench/query_selection.py --models lite,/path/to/run --style novel --clips 10
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field

import numpy as np
from finetune import NOVEL_EVAL_SEED  # the novel evaluation clips of bench/finetune.py


@dataclass
class Tally:
    """Per active object: mean IoU of each selection over the frames that show it."""

    chosen: list[float] = field(default_factory=list)
    best_query: list[float] = field(default_factory=list)
    best_per_frame: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    picked_best: list[bool] = field(default_factory=list)


def score_model(model: str, clips: list, tally: Tally) -> None:
    import torch
    import torch.nn.functional as F

    from actionvos.engine.loader import load_network, resolve_checkpoint, tokenizer_for
    from actionvos.engine.postprocess import choose_queries, upsample_probs
    from actionvos.engine.preprocess import preprocess_frames
    from actionvos.engine.prompts import build_prompt
    from actionvos.engine.tokenizer import encode
    from actionvos.metrics import mask_iou

    path = resolve_checkpoint(model)
    net = load_network(path).eval()
    tokenizer = tokenizer_for(net, path, None)
    with torch.inference_mode():
        for clip in clips:
            size = clip.labels.shape[1:]
            vis = net.encode_visual(preprocess_frames(list(clip.frames), net.config.short_side))
            for k, name in enumerate(clip.object_names):
                shown = [t for t in range(len(clip.frames)) if (clip.labels[t] == k + 1).any()]
                if not clip.positive[k] or not shown:
                    continue
                ids = encode(tokenizer, build_prompt(name, clip.narration))[None]
                out = net.decode(vis, net.encode_text(ids, torch.ones_like(ids)), with_aux=False)
                chosen = int(choose_queries(out)[0])
                masks = out["pred_masks"][0]  # [T, Q, h, w] logits
                probs = upsample_probs(masks.transpose(0, 1), size).numpy() >= 0.5  # [Q,T,H,W]
                truth = [clip.labels[t] == k + 1 for t in shown]
                pairs = list(zip(shown, truth, strict=True))
                per = np.array([[mask_iou(q[t], g) for t, g in pairs] for q in probs])
                truth_t = torch.from_numpy(np.stack(truth)).float()[:, None]
                grid = F.interpolate(truth_t, masks.shape[-2:], mode="area")
                back = F.interpolate(grid, size, mode="bilinear", align_corners=False)[:, 0] >= 0.5
                tally.chosen.append(per[chosen].mean())
                tally.best_query.append(per.mean(1).max())
                tally.best_per_frame.append(per.max(0).mean())
                tally.ceiling.append(
                    np.mean([mask_iou(b, g) for b, g in zip(back.numpy(), truth, strict=True)])
                )
                tally.picked_best.append(bool(per[chosen].mean() >= per.mean(1).max()))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="lite", help="comma-separated: lite, names or paths")
    p.add_argument("--style", default="default", choices=("default", "novel"))
    p.add_argument("--clips", type=int, default=10)
    p.add_argument("--frames", type=int, default=24, help="at most one window (36 frames)")
    p.add_argument("--size", default="360x640", help="HEIGHTxWIDTH")
    p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    args = p.parse_args()

    import torch

    from actionvos.engine.engine import WINDOW
    from actionvos.training.lite import EVAL_SEED_BASE, synthetic_eval_clips

    if not 1 <= args.frames <= WINDOW:
        p.error(f"--frames must be 1..{WINDOW}: the engine picks a query per {WINDOW}-frame window")
    torch.set_num_threads(args.threads)
    h, w = (int(v) for v in args.size.lower().split("x"))
    seed = EVAL_SEED_BASE if args.style == "default" else NOVEL_EVAL_SEED
    style = None if args.style == "default" else args.style
    clips = synthetic_eval_clips(args.clips, seed, args.frames, (h, w), style=style)
    print(
        f"{args.clips} held-out {args.style} clips from seed {seed}, {args.frames} frames at "
        f"{h}x{w}; active objects, ungated masks, mean IoU over the frames that show them"
    )
    head = f"{'model':<28}{'objects':>8}{'chosen':>8}{'best query':>11}{'per frame':>10}"
    print(head + f"{'ceiling':>8}{'chosen/best':>12}{'picked best':>12}")
    for model in (m for m in args.models.split(",") if m):
        t = Tally()
        score_model(model, clips, t)
        chosen, best = 100 * np.mean(t.chosen), 100 * np.mean(t.best_query)
        print(
            f"{model[-28:]:<28}{len(t.chosen):>8}{chosen:>8.1f}{best:>11.1f}"
            f"{100 * np.mean(t.best_per_frame):>10.1f}{100 * np.mean(t.ceiling):>8.1f}"
            f"{chosen / max(best, 1e-9):>12.2f}{100 * np.mean(t.picked_best):>11.0f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
