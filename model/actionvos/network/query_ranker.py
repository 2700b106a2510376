"""Query ranker: which of a caption's queries draws the object the caption names.

ReferFormer keeps, per caption, the query whose class score is highest. On the shipped
ActionVOS-Lite that score learnt little more than where each query usually sits
(``bench/query_selection.py``): the pick averages half the IoU of the caption's best query.
The ranker scores the queries of one caption against each other instead (a softmax over
queries, trained towards the queries whose masks fit the target best, see
:func:`actionvos.losses.ranking.rank_loss`), from each query's decoder output and its product
with the caption's sentence feature, so the score can depend on how the query's object and the
caption agree. It is optional (``ModelConfig.query_ranker``, ``actionvos train
--query-ranker``): official checkpoints and the shipped Lite have none and keep the official
rule.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .layers import MLP


class QueryRanker(nn.Module):
    """Decoder outputs [N,T,Q,C] and sentences [N,C] -> ranking logits [N,T,Q]."""

    def __init__(self, dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.text = nn.Linear(dim, dim)
        self.score = MLP(2 * dim, hidden, 1, 2)

    def forward(self, hs: Tensor, sentence: Tensor) -> Tensor:
        text = self.text(sentence)[:, None, None, :]
        return self.score(torch.cat([hs, hs * text], -1))[..., 0]
