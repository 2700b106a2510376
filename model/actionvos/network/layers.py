"""Small shared building blocks: MLP heads, the text feature resizer, inverse sigmoid."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class MLP(nn.Module):
    """Linear layers with ReLU in between (box head, dynamic-head controller)."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int, num_layers: int) -> None:
        super().__init__()
        dims = [in_dim] + [hidden] * (num_layers - 1) + [out_dim]
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)
        )

    def forward(self, x: Tensor) -> Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = F.relu(x)
        return x


class FeatureResizer(nn.Module):
    """Maps 768-d RoBERTa features to the 256-d model width (Linear, LayerNorm eps 1e-12)."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.layer_norm = nn.LayerNorm(out_dim, eps=1e-12)

    def forward(self, x: Tensor) -> Tensor:
        return self.layer_norm(self.fc(x))


def inverse_sigmoid(x: Tensor, eps: float = 1e-5) -> Tensor:
    x = x.clamp(min=0, max=1)
    return torch.log(x.clamp(min=eps) / (1 - x).clamp(min=eps))


def ffn(x: Tensor, linear1: nn.Linear, linear2: nn.Linear, max_rows: int | None = None) -> Tensor:
    """linear2(relu(linear1(x))) over the last dim, in row chunks to bound the hidden tensor."""
    if max_rows is None or x.numel() // x.shape[-1] <= max_rows:
        return linear2(F.relu(linear1(x), inplace=True))
    flat = x.reshape(-1, x.shape[-1])
    out = flat.new_empty(flat.shape[0], linear2.out_features)
    for i in range(0, flat.shape[0], max_rows):
        out[i : i + max_rows] = linear2(F.relu(linear1(flat[i : i + max_rows]), inplace=True))
    return out.view(*x.shape[:-1], linear2.out_features)
