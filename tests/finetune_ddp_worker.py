"""One rank of the two-process fine-tuning test: runs ``actionvos finetune`` as torchrun
starts it, and writes down which clips this rank drew and a digest of its final weights."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import torch

from actionvos.cli import main
from actionvos.training import SampleDrawer, Trainer


def run(report_dir: Path, argv: list[str]) -> int:
    torch.set_num_threads(1)
    drawn: list[str] = []
    weights: list[str] = []
    draw, train = SampleDrawer.draw, Trainer.run

    def recording_draw(self):  # noqa: ANN001, ANN202
        step = draw(self)
        drawn.append(step.clip)
        return step

    def recording_run(self, *args, **kwargs):  # noqa: ANN001, ANN202
        result = train(self, *args, **kwargs)
        h = hashlib.sha256()
        for k, v in sorted(self.net.state_dict().items()):
            h.update(k.encode() + v.detach().cpu().contiguous().numpy().tobytes())
        weights.append(h.hexdigest())
        return result

    SampleDrawer.draw, Trainer.run = recording_draw, recording_run
    code = main(argv)
    rank = int(os.environ["RANK"])
    report = {"rank": rank, "world": int(os.environ["WORLD_SIZE"]), "drawn": drawn}
    report |= {"weights": weights, "code": code}
    (report_dir / f"rank{rank}.json").write_text(json.dumps(report))
    return code


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), sys.argv[2:]))
