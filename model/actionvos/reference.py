"""Numerical-equivalence check of our network against an official reference fixture.

``python -m actionvos.reference FIXTURE.json [--tensors FIXTURE.safetensors]`` rebuilds the
fixture's model from its config, applies the key-seeded init recipe, checks the init checksums,
runs the official protocol (one forward per caption, unpadded ids) and the official
post-processing, and prints one line per compared output with its maximum absolute deviation,
the tolerance and PASS/FAIL. The exit status is 1 if anything fails. Every setting (sizes,
caption lengths, override, tolerances, original size) is read from the fixture.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import Tensor

from actionvos.checkpoints.recipe import apply_recipe, checksums
from actionvos.engine import postprocess
from actionvos.errors import InputError
from actionvos.network import ActionVOSNet, ModelConfig

HEADS = ("pred_logits", "pred_boxes", "pred_masks", "pred_positives")


@dataclass
class Check:
    """One compared quantity."""

    name: str
    deviation: float
    tolerance: str
    passed: bool

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return f"{self.name:<36} max_abs={self.deviation:<10.3e} tol={self.tolerance:<26} {verdict}"


@dataclass
class Tolerances:
    head_rtol: float = 1e-4
    head_atol: float = 1e-4
    mask_rtol: float = 1e-4
    mask_atol: float = 2e-3
    positive_atol: float = 1e-4
    probs_atol: float = 1e-3

    @classmethod
    def from_fixture(cls, fixture: dict) -> Tolerances:
        """Parse the fixture's ``recommended_assertions`` strings (defaults if absent)."""
        tol = cls()
        for key, text in fixture.get("recommended_assertions", {}).items():
            close = re.search(r"rtol=([0-9.eE+-]+),\s*atol=([0-9.eE+-]+)", str(text))
            plain = re.search(r"atol\s+([0-9.eE+-]+)", str(text))
            if key.startswith("pred_masks") and close:
                tol.mask_rtol, tol.mask_atol = float(close[1]), float(close[2])
            elif key.startswith("pred_logits") and close:
                tol.head_rtol, tol.head_atol = float(close[1]), float(close[2])
            elif key == "post.positive_prob" and plain:
                tol.positive_atol = float(plain[1])
            elif key == "post.probs" and plain:
                tol.probs_atol = float(plain[1])
        return tol


def compare(name: str, actual: Tensor, expected: Tensor, rtol: float, atol: float) -> Check:
    """assert_close semantics: |a - e| <= atol + rtol * |e| everywhere, shapes equal."""
    if tuple(actual.shape) != tuple(expected.shape):
        shape = f"shape {tuple(actual.shape)}"
        return Check(name, float("inf"), f"expected {tuple(expected.shape)}, got {shape}", False)
    a, e = actual.detach().double().cpu(), expected.double()
    diff = (a - e).abs()
    ok = bool((diff <= atol + rtol * e.abs()).all()) and bool(torch.isfinite(a).all())
    tol = f"atol={atol:g}" + (f"+rtol={rtol:g}" if rtol else "")
    return Check(name, float(diff.max()) if diff.numel() else 0.0, tol, ok)


def exact(name: str, actual: Tensor, expected: Tensor, where: Tensor | None = None) -> Check:
    """Equality (optionally only where ``where`` is true); deviation = number of mismatches."""
    if tuple(actual.shape) != tuple(expected.shape):
        return Check(name, float("inf"), f"shape {tuple(expected.shape)}", False)
    wrong = actual.cpu() != expected
    if where is not None:
        wrong &= where
    n = int(wrong.sum())
    return Check(name, float(n), "exact" + (" (non-fragile)" if where is not None else ""), n == 0)


def build_model(fixture: dict) -> ActionVOSNet:
    cfg = ModelConfig.from_referformer_args(
        fixture["model_args_relevant"], fixture.get("text_config")
    )
    return ActionVOSNet(cfg).eval()


def check_init(net: ActionVOSNet, fixture: dict) -> list[Check]:
    """Compare the state dict's shapes and the recipe's per-key checksums with the fixture."""
    checks = []
    shapes = fixture.get("state_dict_shapes", {})
    ours = {k: list(v.shape) for k, v in net.state_dict().items()}
    bad = sorted(set(shapes) ^ set(ours)) + [
        k for k in shapes if k in ours and shapes[k] != ours[k]
    ]
    checks.append(Check("init.state_dict_shapes", float(len(bad)), "exact", not bad))
    sums = checksums(net)
    worst, wrong = 0.0, 0
    for key, (s, sq) in fixture.get("init_checksums", {}).items():
        if key not in sums:
            wrong += 1
            continue
        got_s, got_sq = sums[key]
        err = max(abs(got_s - s) / max(1.0, abs(s)), abs(got_sq - sq) / max(1.0, abs(sq)))
        worst = max(worst, err)
        wrong += err > 1e-6
    checks.append(Check("init.checksums (rel)", worst, "rel=1e-06", wrong == 0))
    return checks


def _expected(tensors: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def check_outputs(
    label: str, out: dict, ref: dict[str, Tensor], tol: Tolerances, has_refpoints: bool
) -> list[Check]:
    """Compare final and aux heads (and reference points) of one caption."""
    checks = []
    layers = [("", out)] + [(f"aux{i}.", aux) for i, aux in enumerate(out["aux_outputs"])]
    for prefix, heads in layers:
        for name in HEADS:
            key = prefix + name
            if key not in ref:
                continue
            rtol, atol = (
                (tol.mask_rtol, tol.mask_atol)
                if name == "pred_masks"
                else (tol.head_rtol, tol.head_atol)
            )
            checks.append(compare(f"{label}.{key}", heads[name], ref[key], rtol, atol))
    if has_refpoints and "reference_points" in ref:
        checks.append(
            compare(
                f"{label}.reference_points",
                out["reference_points"],
                ref["reference_points"],
                tol.head_rtol,
                tol.head_atol,
            )
        )
    return checks


def check_postprocess(
    outs: list[dict], tensors: dict[str, Tensor], fixture: dict, tol: Tolerances
) -> list[Check]:
    """Official clip post-processing on our outputs vs the fixture's ``post.*`` tensors."""
    post = fixture.get("postprocess", {})
    size = tuple(post.get("orig_size_hw", fixture.get("orig_size_hw", (0, 0))))
    threshold = float(fixture.get("model_args_relevant", {}).get("pos_cls_thres", 0.75))
    logits = torch.cat([o["pred_logits"] for o in outs])
    masks = torch.cat([o["pred_masks"] for o in outs])
    positives = torch.cat([o["pred_positives"] for o in outs])
    q_idx, scores = postprocess.select_queries(logits)
    pos_prob = postprocess.positive_probs(positives)
    probs = postprocess.caption_probs(masks, q_idx, size)
    gated = probs * (pos_prob >= threshold).view(-1, 1, 1, 1).to(probs.dtype)
    labels = postprocess.merge_label_map(probs, pos_prob, threshold=threshold)
    fragile = tensors["post.fragile"] == 0
    ref_pos = tensors["post.positive_prob"]
    return [
        exact("post.selected_query", q_idx, tensors["post.selected_query"]),
        compare(
            "post.query_mean_scores", scores, tensors["post.query_mean_scores"], 0, tol.head_atol
        ),
        compare("post.positive_prob", pos_prob, ref_pos, 0, tol.positive_atol),
        exact("post.positive_gate", pos_prob >= threshold, ref_pos >= threshold),
        compare("post.probs", gated, tensors["post.probs"], 0, tol.probs_atol),
        exact("post.label_map", labels, tensors["post.label_map"], fragile),
    ]


def verify(
    fixture_path: str | Path,
    tensors_path: str | Path | None = None,
    batched: bool = True,
    after_init: Callable[[ActionVOSNet], None] | None = None,
    emit: Callable[[str], None] | None = None,
) -> list[Check]:
    """Run every comparison; ``after_init`` may alter the model (tests use it to break it)."""
    fixture_path = Path(fixture_path)
    if tensors_path is None:
        tensors_path = fixture_path.with_suffix(".safetensors")
    for p in (fixture_path, Path(tensors_path)):
        if not Path(p).is_file():
            raise InputError(f"fixture file {p} does not exist; pass --tensors for the tensors")
    fixture = json.loads(fixture_path.read_text(encoding="utf-8"))
    tensors = load_file(str(tensors_path))
    tol = Tolerances.from_fixture(fixture)
    say = emit or (lambda _line: None)
    checks: list[Check] = []

    def add(new: list[Check]) -> None:
        for c in new:
            checks.append(c)
            say(c.line())

    net = build_model(fixture)
    init = fixture.get("init_recipe", {})
    apply_recipe(net, init.get("overrides_after_recipe"))
    add(check_init(net, fixture))
    if after_init is not None:
        after_init(net)
    imgs = tensors["inputs.imgs"]
    ids, mask = tensors["inputs.input_ids"], tensors["inputs.attention_mask"]
    outs = []
    with torch.inference_mode():
        vis = net.encode_visual(imgs)
        for i in range(ids.shape[0]):
            length = int(mask[i].sum())
            txt = net.encode_text(ids[i : i + 1, :length], mask[i : i + 1, :length])
            out = net.decode(vis, txt)
            outs.append(out)
            add(check_outputs(f"cap{i}", out, _expected(tensors, f"cap{i}."), tol, True))
        add(check_postprocess(outs, tensors, fixture, tol))
        if batched:
            out = net.decode(vis, net.encode_text(ids, mask))
            for i in range(ids.shape[0]):
                one = _select(out, i)
                ref = _expected(tensors, f"cap{i}.")
                add(check_outputs(f"batched.cap{i}", one, ref, tol, True))
    return checks


def _select(out: dict, i: int) -> dict:
    """Caption i of a batched output, keeping the batch dimension."""
    pick = {k: v[i : i + 1] for k, v in out.items() if isinstance(v, Tensor)}
    pick["aux_outputs"] = [{k: v[i : i + 1] for k, v in a.items()} for a in out["aux_outputs"]]
    return pick


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m actionvos.reference",
        description="Compare our ActionVOS network with an official reference fixture.",
    )
    parser.add_argument("fixture", help="fixture JSON (e.g. fixture_r50.json)")
    parser.add_argument(
        "--tensors", help="fixture tensors (default: the JSON path with .safetensors)"
    )
    parser.add_argument(
        "--no-batched",
        action="store_true",
        help="skip the check that all captions padded into one batch give the same outputs",
    )
    args = parser.parse_args(argv)
    try:
        checks = verify(args.fixture, args.tensors, not args.no_batched, emit=print)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = [c for c in checks if not c.passed]
    print(f"{len(checks) - len(failed)}/{len(checks)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
