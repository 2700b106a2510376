"""ActionVOS network: ReferFormer plus the per-caption ``positive_cls_embed`` head.

The forward is split where the data dependencies split: :meth:`encode_visual` (frames only),
:meth:`encode_text` (captions only) and :meth:`decode` (everything from the early fusion on,
for N captions as one batch of N*T frame rows). ``net(frames, ids, mask)`` chains the three.
With N = 1 and unpadded ids it reproduces the official single-caption forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .backbone import BackboneSlot
from .config import ModelConfig
from .deformable_transformer import (
    DeformableTransformer,
    encoder_reference_points,
    repeat_frames,
)
from .features import TextFeatures, VisualFeatures
from .fusion import VisionLanguageFusion
from .layers import MLP, FeatureResizer
from .mask_head import dynamic_masks
from .pixel_decoder import CrossModalFPN
from .position import sine_1d, sine_2d
from .query_ranker import QueryRanker
from .text_encoder import build_minilm, build_text_encoder

_STRIDE4 = 4


def _resize_mask(mask: Tensor | None, size: tuple[int, int]) -> Tensor | None:
    if mask is None:
        return None
    return F.interpolate(mask[None].float(), size=size).to(torch.bool)[0]


def _valid_ratio(mask: Tensor) -> Tensor:
    _, h, w = mask.shape
    valid_h = (~mask[:, :, 0]).sum(1).float() / h
    valid_w = (~mask[:, 0, :]).sum(1).float() / w
    return torch.stack([valid_w, valid_h], -1)


def _rows(x: Tensor | None, start: int, stop: int) -> Tensor | None:
    """Rows start..stop of the virtual N*T stacking of a per-frame tensor [T|1, ...]."""
    if x is None or x.shape[0] == 1:
        return x
    idx = torch.arange(start, stop, device=x.device) % x.shape[0]
    return x[idx]


class ActionVOSNet(nn.Module):
    """See the module docstring; parameter names equal the official state_dict keys."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.config = cfg
        c = cfg.hidden_dim
        slot = BackboneSlot(cfg.backbone)  # registered below, after input_proj (key order)
        chans = slot.body.num_channels
        self.transformer = DeformableTransformer(
            c,
            cfg.nheads,
            cfg.enc_layers,
            cfg.dec_layers,
            cfg.dim_feedforward,
            cfg.num_feature_levels,
            cfg.enc_n_points,
            cfg.dec_n_points,
        )
        n_dec = cfg.dec_layers
        self.class_embed = nn.ModuleList(nn.Linear(c, cfg.num_classes) for _ in range(n_dec))
        self.bbox_embed = nn.ModuleList(MLP(c, c, 4, 3) for _ in range(n_dec))
        if cfg.use_positive_cls:
            self.positive_cls_embed = nn.ModuleList(nn.Linear(c, 1) for _ in range(n_dec))
        self.query_embed = nn.Embedding(cfg.num_queries, c)
        projs = [nn.Sequential(nn.Conv2d(ch, c, 1), nn.GroupNorm(32, c)) for ch in chans[1:]]
        projs.append(
            nn.Sequential(nn.Conv2d(chans[-1], c, 3, stride=2, padding=1), nn.GroupNorm(32, c))
        )
        self.input_proj = nn.ModuleList(projs)
        self.backbone = nn.ModuleList([slot])
        if cfg.text_model == "minilm":
            self.text_encoder = build_minilm(cfg.text_encoder_dir)
        else:
            self.text_encoder = build_text_encoder(cfg.text_config, cfg.text_encoder_dir)
        self.resizer = FeatureResizer(self.text_encoder.config.hidden_size, c)
        self.fusion_module = VisionLanguageFusion(c, cfg.nheads)
        self.pixel_decoder = CrossModalFPN(
            [chans[0]] + [c] * 3, c, cfg.mask_dim, cfg.dim_feedforward, cfg.nheads
        )
        self.controller = MLP(c, c, cfg.head_params, cfg.controller_layers)
        if cfg.query_ranker:
            self.query_ranker = QueryRanker(c)
        # Box refinement: the decoder refines with the very same heads (aliased keys).
        self.transformer.decoder.bbox_embed = self.bbox_embed
        # Largest intermediate (elements) a chunked step may allocate: bounds peak memory.
        self.chunk_elements = 1 << 27
        if cfg.encoders_from_packages:
            from .efficientnet import load_pretrained

            load_pretrained(slot.body)

    def packaged_prefixes(self) -> tuple[str, ...]:
        """State-dict prefixes whose weights come from pip packages, not from saved files."""
        if not self.config.encoders_from_packages:
            return ()
        return ("backbone.0.body.", "text_encoder.")

    # ------------------------------------------------------------------ visual
    def encode_visual(
        self, frames: Tensor, pixel_mask: Tensor | None = None, keep_backbone: bool = False
    ) -> VisualFeatures:
        """Frames [T,3,H,W] (normalised) -> everything that does not depend on the caption.

        ``pixel_mask`` [T,H,W] (True on padding) is only needed for padded batches.
        """
        if frames.dim() != 4 or frames.shape[1] != 3:
            raise ValueError(f"frames must be [T,3,H,W], got {tuple(frames.shape)}")
        t, _, h, w = frames.shape
        feats = self.backbone[0](frames)
        level3 = self.input_proj[3](feats[3])
        maps = [*feats, level3]
        masks = [_resize_mask(pixel_mask, m.shape[-2:]) for m in maps]
        pos = []
        for m, mask in zip(maps, masks, strict=True):
            mk = mask if mask is not None else m.new_zeros((1, *m.shape[-2:]), dtype=torch.bool)
            pos.append(sine_2d(mk, self.config.hidden_dim // 2).to(m.dtype))
        level_embed = self.transformer.level_embed
        srcs = [self.input_proj[i](feats[i + 1]) for i in range(3)] + [level3]
        pos_enc = [pos[i + 1] for i in range(4)]
        shapes = [tuple(s.shape[-2:]) for s in srcs]
        starts = [0]
        for hh, ww in shapes[:-1]:
            starts.append(starts[-1] + hh * ww)
        src = torch.cat([s.flatten(2).transpose(1, 2) for s in srcs], 1)
        lvl_pos = torch.cat(
            [p.flatten(2).transpose(1, 2) + level_embed[i] for i, p in enumerate(pos_enc)], 1
        )
        if pixel_mask is None:
            valid = frames.new_ones(1, 4, 2)
            padding = None
        else:
            valid = torch.stack([_valid_ratio(m) for m in masks[1:]], 1)
            padding = torch.cat([m.flatten(1) for m in masks[1:]], 1)
        fpn_pos = [p.flatten(2).transpose(1, 2).contiguous() for p in pos[:4]]
        fpn_masks = [None if m is None else m.flatten(1) for m in masks[:4]]
        lateral4 = self.pixel_decoder.lateral_stride4(feats[0], fpn_pos[0], t, fpn_masks[0])
        return VisualFeatures(
            size=(h, w),
            num_frames=t,
            src=src,
            pos=lvl_pos,
            spatial_shapes=shapes,
            level_start=starts,
            valid_ratios=valid,
            padding_mask=padding,
            enc_reference=encoder_reference_points(shapes, valid),
            fpn_pos=fpn_pos,
            fpn_masks=fpn_masks,
            fpn_shapes=[tuple(f.shape[-2:]) for f in feats],
            lateral4=lateral4,
            features=list(feats) if keep_backbone else None,
        )

    # ------------------------------------------------------------------ text
    def encode_text(self, input_ids: Tensor, attention_mask: Tensor) -> TextFeatures:
        """Token ids [N,L] (pad id 1 where attention_mask is 0) -> resized word features."""
        if input_ids.dim() != 2 or input_ids.shape != attention_mask.shape:
            raise ValueError(
                f"input_ids {tuple(input_ids.shape)} and attention_mask "
                f"{tuple(attention_mask.shape)} must both be [N, L]"
            )
        out = self.text_encoder(input_ids=input_ids, attention_mask=attention_mask)
        words = self.resizer(out.last_hidden_state)
        if self.config.text_model == "minilm":
            # Sentence embedding as all-MiniLM-L6-v2 was trained to give it: the token mean.
            keep = attention_mask[..., None].to(out.last_hidden_state.dtype)
            mean = (out.last_hidden_state * keep).sum(1) / keep.sum(1).clamp(min=1)
            sentence = self.resizer(mean)
        else:
            sentence = self.resizer(out.pooler_output)
        mask = attention_mask.ne(1)
        return TextFeatures(words, mask, sine_1d(mask, self.config.hidden_dim), sentence)

    # ------------------------------------------------------------------ decode
    def _encoder(self, fused: Tensor, vis: VisualFeatures) -> Tensor:
        """Run the deformable encoder over N*T rows in chunks, in place when not training."""
        rows, seq, _ = fused.shape
        step = max(1, self.chunk_elements // (seq * self.config.dim_feedforward))
        encoder = self.transformer.encoder
        shapes, starts = vis.spatial_shapes, vis.level_start
        if step >= rows:
            return encoder(
                fused,
                _rows(vis.pos, 0, rows),
                _rows(vis.enc_reference, 0, rows),
                shapes,
                starts,
                _rows(vis.padding_mask, 0, rows),
            )
        out = fused if not torch.is_grad_enabled() else torch.empty_like(fused)
        for i in range(0, rows, step):
            j = min(rows, i + step)
            out[i:j] = encoder(
                fused[i:j],
                _rows(vis.pos, i, j),
                _rows(vis.enc_reference, i, j),
                shapes,
                starts,
                _rows(vis.padding_mask, i, j),
            )
        return out

    def decode(self, vis: VisualFeatures, txt: TextFeatures, with_aux: bool = True) -> dict:
        """Text-conditioned part for all N captions of ``txt`` on the clip ``vis``.

        Returns pred_logits [N,T,Q,K], pred_boxes [N,T,Q,4], pred_masks [N,T,Q,h/4,w/4],
        pred_positives [N,1], pred_rank [N,T,Q] (models with a query ranker), aux_outputs (the
        earlier decoder layers, unless ``with_aux`` is False) and, in eval mode,
        reference_points [N,T,Q,2]. Captions are processed in groups whose encoder memory fits
        ``chunk_elements``, so memory does not grow with N.
        """
        t, s = vis.num_frames, vis.src.shape[1]
        group = max(1, self.chunk_elements // (t * s * self.config.hidden_dim))
        if len(txt) <= group:
            return self._decode_group(vis, txt, with_aux)
        parts = [
            self._decode_group(vis, txt[i : i + group], with_aux) for i in range(0, len(txt), group)
        ]
        return _concat_outputs(parts)

    def _decode_group(self, vis: VisualFeatures, txt: TextFeatures, with_aux: bool) -> dict:
        cfg = self.config
        n, t, q, c = len(txt), vis.num_frames, cfg.num_queries, cfg.hidden_dim
        word_mask = txt.mask if bool(txt.mask.any()) else None
        fused = self.fusion_module(vis.src, txt.words, txt.pos, txt.mask)
        memory = self._encoder(fused, vis)
        del fused
        rows = n * t
        tgt = txt.sentence[:, None, None, :].expand(n, t, q, c).reshape(rows, q, c)
        query = self.query_embed.weight[None]
        ref0 = self.transformer.reference_points(query).sigmoid()
        hs, boxes, refs = self.transformer.decoder(
            tgt,
            ref0,
            memory,
            vis.spatial_shapes,
            vis.level_start,
            repeat_frames(vis.valid_ratios, rows),
            query,
            _rows(vis.padding_mask, 0, rows),
        )
        n_layers = hs.shape[0]
        layers = list(range(n_layers)) if with_aux else [n_layers - 1]
        logits = torch.stack([self.class_embed[lv](hs[lv]) for lv in range(n_layers)])
        positives = None
        if cfg.use_positive_cls:
            pooled = hs.view(n_layers, n, t * q, c).mean(2)
            positives = [self.positive_cls_embed[lv](pooled[lv]) for lv in range(n_layers)]
        masks = self._masks(vis, txt, word_mask, memory, hs, refs, layers)
        h4, w4 = vis.fpn_shapes[0]

        def head(lv: int) -> dict:
            d = {
                "pred_logits": logits[lv].view(n, t, q, -1),
                "pred_boxes": boxes[lv].view(n, t, q, 4),
                "pred_masks": masks[lv].view(n, t, q, h4, w4),
            }
            if positives is not None:
                d["pred_positives"] = positives[lv]
            return d

        out = head(n_layers - 1)
        if cfg.query_ranker:
            out["pred_rank"] = self.query_ranker(hs[-1].view(n, t, q, c), txt.sentence)
        out["aux_outputs"] = [head(lv) for lv in layers[:-1]]
        if not self.training:
            out["reference_points"] = refs[-2, ..., :2].reshape(n, t, q, 2)
        return out

    def _masks(self, vis, txt, word_mask, memory, hs, refs, layers) -> dict[int, Tensor]:  # noqa: ANN001
        """Pixel decoder + dynamic head, a group of captions at a time to bound memory."""
        cfg = self.config
        n, t = len(txt), vis.num_frames
        h4, w4 = vis.fpn_shapes[0]
        per_caption = t * h4 * w4 * cfg.hidden_dim
        group = max(1, self.chunk_elements // per_caption)
        spans = list(zip(vis.level_start, vis.spatial_shapes, strict=True))[:3]
        levels = [memory[:, s : s + hh * ww] for s, (hh, ww) in spans]
        out = {lv: memory.new_empty(n * t, cfg.num_queries, h4, w4) for lv in layers}
        for g in range(0, n, group):
            sel = slice(g, min(n, g + group))
            r = slice(sel.start * t, sel.stop * t)
            wm = None if word_mask is None else word_mask[sel]
            feats = self.pixel_decoder(
                [lv[r] for lv in levels],
                vis.spatial_shapes[:3],
                vis.lateral4,
                (h4, w4),
                vis.fpn_pos,
                vis.fpn_masks,
                t,
                txt.words[sel],
                txt.pos[sel],
                wm,
            )
            for lv in layers:
                params = self.controller(hs[lv, r])
                out[lv][r] = dynamic_masks(
                    feats,
                    params,
                    refs[lv, r, :, :2],
                    vis.size,
                    cfg.dynamic_mask_channels,
                    cfg.controller_layers,
                    cfg.rel_coord,
                    _STRIDE4,
                )
        return out

    def forward(self, frames: Tensor, input_ids: Tensor, attention_mask: Tensor) -> dict:
        return self.decode(self.encode_visual(frames), self.encode_text(input_ids, attention_mask))


def _concat_outputs(parts: list[dict]) -> dict:
    """Concatenate decode outputs of caption groups along the caption dimension."""
    out = {k: torch.cat([p[k] for p in parts]) for k, v in parts[0].items() if k != "aux_outputs"}
    out["aux_outputs"] = [
        {k: torch.cat([p["aux_outputs"][i][k] for p in parts]) for k in aux}
        for i, aux in enumerate(parts[0]["aux_outputs"])
    ]
    return out
