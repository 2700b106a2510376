"""Judging and printing a ``bench/gpu_check.py`` report: one line per target of issue 13
(PASS, FAIL, SKIP where the device could not measure it, INFO where there is no target) and
the tables that end the run's output."""

from __future__ import annotations

from typing import Any

SPEEDUP_TARGET, SPEEDUP_AT = 3.0, 6
AGREEMENT_TARGET = 0.995
#: Flat memory: the longest clip's peak may exceed the shortest clip's by this fraction of it
#: plus this many MB (allocator and RSS noise; the logits kept per window are on the host).
FLAT_SLACK, FLAT_MB = 0.10, 16.0


def _target(name: str, value: Any, target: str, ok: bool | None, note: str = "") -> dict:
    status = "INFO" if target == "" else ("SKIP" if ok is None else ("PASS" if ok else "FAIL"))
    return {"name": name, "value": value, "target": target, "status": status, "note": note}


def targets(report: dict) -> list[dict]:
    """One pass/fail line per target of the issue (SKIP: not measurable on this device)."""
    out = []
    rows = report.get("inference")
    if rows:
        row = next((r for r in rows if r["n"] == SPEEDUP_AT), rows[-1])
        bf16_ran = all(r["batched_bf16"]["precision_ran"] == "bf16" for r in rows)
        skip = "" if bf16_ran else "bf16 ran as fp32 (skipped on cpu)"
        value = row["speedup_bf16"]
        out.append(
            _target(
                f"batched bf16 vs fp32 loop, N={row['n']}",
                value,
                f">= {SPEEDUP_TARGET:g}x",
                value >= SPEEDUP_TARGET if bf16_ran else None,
                skip,
            )
        )
        same = all(r["fp32_loop_vs_batched"]["identical"] for r in rows)
        out.append(_target("fp32 label maps loop == batched", same, "identical", same))
        agree = min(r["bf16_vs_fp32"]["agreement"] for r in rows)
        ok = agree >= AGREEMENT_TARGET if bf16_ran else None
        out.append(
            _target("bf16 pixel agreement with fp32", agree, f">= {AGREEMENT_TARGET:.1%}", ok, skip)
        )
        same = all(r["bf16_vs_fp32"]["same_active"] for r in rows)
        out.append(
            _target("bf16 active decisions == fp32", same, "same", same if bf16_ran else None, skip)
        )
    memory = report.get("memory")
    if memory:
        frames = [r["frames"] for r in memory["rows"]]
        for mode, growth in memory["growth_mb"].items():
            mine = [r for r in memory["rows"] if r["mode"] == mode]
            short = min(mine, key=lambda r: r["frames"])["peak_mb"]
            allowed = FLAT_SLACK * short + FLAT_MB
            out.append(
                _target(
                    f"peak memory growth {mode}, {max(frames)} vs {min(frames)} frames (MB)",
                    growth,
                    f"<= {allowed:.0f} MB ({FLAT_SLACK:.0%} + {FLAT_MB:g} MB)",
                    growth <= allowed,
                )
            )
    lite = report.get("lite")
    if lite:
        out.append(_target("Lite fps (bf16 asked)", lite["bf16"]["fps"], "", None, lite["weights"]))
    train = report.get("train")
    if train:
        for name in ("lite", "big"):
            if name not in train:
                continue
            rec = train[name]
            note = f"bf16 ran as {rec['device_bf16']['precision_ran']}"
            out.append(
                _target(f"train {rec['model']} bf16/fp32", rec["bf16_over_fp32"], "", None, note)
            )
            out.append(
                _target(
                    f"train {rec['model']} device bf16/cpu", rec["device_bf16_over_cpu"], "", None
                )
            )
    return out


def _num(x: Any, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def print_tables(report: dict) -> None:
    env = report["environment"]
    print(
        f"\ntorch {env['torch']}  CUDA {env['cuda']}  cuDNN {env['cudnn']}  "
        f"{env['device_name']} ({env['device_memory_gb']:.0f} GiB)  threads {env['cpu_threads']}"
    )
    rows = report.get("inference") or []
    if rows:
        print(f"\ninference, {report['config']['backbone']}: fps and peak MB above the model")
        print(
            f"{'N':>3} {'loop32':>8} {'batch32':>8} {'batch16':>8} {'x32':>6} {'x16':>6} "
            f"{'MB loop':>8} {'MB b32':>8} {'MB b16':>8}  fp32 same   bf16 agree/active"
        )
        for r in rows:
            lo, b32, b16 = r["loop_fp32"], r["batched_fp32"], r["batched_bf16"]
            f32, bf = r["fp32_loop_vs_batched"], r["bf16_vs_fp32"]
            print(
                f"{r['n']:>3} {lo['fps']:>8.2f} {b32['fps']:>8.2f} {b16['fps']:>8.2f} "
                f"{r['speedup_fp32']:>6.2f} {r['speedup_bf16']:>6.2f} {lo['peak_mb']:>8.0f} "
                f"{b32['peak_mb']:>8.0f} {b16['peak_mb']:>8.0f}  "
                f"{'yes' if f32['identical'] else 'NO':<4} {f32['max_dlogit']:.0e}  "
                f"{bf['agreement']:.4%} {'same' if bf['same_active'] else 'DIFFER'} "
                f"({b16['precision_ran']})"
            )
    probe = report.get("inference_cpu_bf16")
    if probe and "skipped" not in probe:
        print(
            f"cpu bf16 autocast probe, N={probe['objects']}: mask sign agreement "
            f"{probe['mask_sign_agreement']:.4%}, max|dlogit| {probe['max_dlogit']:.2g}, "
            f"same query {probe['same_query']}, same active {probe['same_active']}"
        )
    memory = report.get("memory")
    if memory:
        print(f"\npeak memory vs clip length, N={memory['objects']} (MB above the model)")
        for r in memory["rows"]:
            windows = " ".join(f"{p:.0f}" for p in r["window_peaks_mb"])
            print(
                f"  {r['mode']:<13} {r['frames']:>4} frames {r['peak_mb']:>8.0f} MB  "
                f"{r['fps']:>7.2f} fps  per window: {windows}"
            )
    lite = report.get("lite")
    if lite:
        print(
            f"\nLite ({lite['weights']}), {lite['frames']} frames, N={lite['objects']}, "
            f"short side {lite['short_side']}: fp32 {lite['fp32']['fps']:.1f} fps, "
            f"bf16 {lite['bf16']['fps']:.1f} fps (ran {lite['bf16']['precision_ran']})"
        )
    train = report.get("train")
    if train:
        print("\ntrainer steps/s (device bf16, device fp32, cpu fp32)")
        for name in ("lite", "big"):
            if name not in train:
                continue
            rec = train[name]
            print(
                f"  {rec['model']:<10} {rec['device_bf16']['steps_per_s']:>7.2f} "
                f"{rec['device_fp32']['steps_per_s']:>7.2f} {rec['cpu']['steps_per_s']:>7.2f}"
            )
    print("\ntargets")
    for t in report["targets"]:
        value = t["value"]
        shown = value if isinstance(value, bool) else _num(value, ".4g")
        note = f"  ({t['note']})" if t["note"] else ""
        print(f"  {t['status']:<4} {t['name']}: {shown} {t['target']}{note}")
    for name in report["errors"]:
        print(f"  CRASH in section {name} (traceback above and in the JSON)")
