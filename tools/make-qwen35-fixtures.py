#!/usr/bin/env python3
"""Tiny Qwen3.5 (qwen3_5) and Qwen3.5-MoE (qwen3_5_moe) checkpoints and the outputs transformers computes for them.

Qwen3.5 is Qwen3-VL's vision tower without DeepStack before Qwen3-Next's hybrid decoder: gated DeltaNet linear
attention whose projections are split (in_proj_qkv, in_proj_z, in_proj_b, in_proj_a, where Qwen3-Next fuses
in_proj_qkvz and in_proj_ba), gated full attention, zero-centred RMSNorms, a dense SwiGLU MLP, and interleaved
M-RoPE over partial_rotary_factor of each head. The batch layout, greedy decoding through the cache, the PEFT-format
LoRA adapter and the value rounding are make-qwen3-vl-fixtures.py's (and so make-multimodal-fixtures.py's).

What it exercises: layers linear / full / linear, 2 key heads and 4 value heads of the delta rule (dk 8, dv 12),
head_dim 16 with partial_rotary_factor 0.5 (8 rotary features, mrope_section [2, 1, 1] interleaved), 4-pixel
patches with learned positions (a 4 x 4 table), three images in a left-padded batch of two rows and, for qwen3.5,
a video of two frame groups (each after its timestamp tokens, as Qwen3-VL prompts them) in the second row. The
adapter also adapts the linear-attention projections. Qwen3.5-MoE: every layer's MLP is 4 experts (2 per token,
always renormalised) plus a shared expert scaled by its sigmoid gate; save_pretrained writes the experts one by one
(experts.N.gate_proj...), as Qwen3-Next's checkpoints store them.

    chroot /srv/sid python3 /work/wt-NAME/tools/make-qwen35-fixtures.py OUT_DIR [CASE...]
"""
import importlib.util
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("qwen3vl", os.path.join(HERE, "make-qwen3-vl-fixtures.py"))
q3 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(q3)
mm, text = q3.mm, q3.text

TEXT = dict(mm.TEXT, num_hidden_layers=3, head_dim=16,
            layer_types=["linear_attention", "full_attention", "linear_attention"],
            linear_conv_kernel_dim=4, linear_key_head_dim=8, linear_value_head_dim=12,
            linear_num_key_heads=2, linear_num_value_heads=4)
MROPE = dict(rope_type="default", rope_theta=10000.0, partial_rotary_factor=0.5, mrope_section=[2, 1, 1],
             mrope_interleaved=True)
VISION = {k: v for k, v in q3.VISION.items() if k != "deepstack_visual_indexes"}
MOE = dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=24, shared_expert_intermediate_size=16)
CASES = {
    "qwen3.5": ("Qwen3_5Config", "Qwen3_5ForConditionalGeneration", {}, True),
    "qwen3.5-moe": ("Qwen3_5MoeConfig", "Qwen3_5MoeForConditionalGeneration", MOE, False),
}
LINEARS = set(text.LINEARS) | {"in_proj_qkv", "in_proj_z", "in_proj_b", "in_proj_a", "out_proj"}


def build(config_class, model_class, moe):
    torch.manual_seed(text.SEED)
    text_config = dict(TEXT, rope_parameters=MROPE, tie_word_embeddings=False, **moe)
    if moe:
        del text_config["intermediate_size"]  # Qwen3.5-MoE has no dense MLP
    config = getattr(transformers, config_class)(
        text_config=text_config, vision_config=dict(VISION),
        image_token_id=mm.IMAGE, video_token_id=mm.VIDEO, vision_start_token_id=mm.VISION_START,
        vision_end_token_id=mm.VISION_END, tie_word_embeddings=False)
    model = getattr(transformers, model_class)._from_config(
        config, dtype=torch.float32, attn_implementation="eager").eval()
    text.randomize(model, "qwen3_next")
    g = torch.Generator().manual_seed(text.SEED + 5)
    with torch.no_grad():
        for name, p in model.named_parameters():
            # the vision tower's LayerNorms scale by weight, not 1 + weight
            if name.startswith("model.visual.") and p.dim() == 1 and "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    return config, model


def lora_adapter(model, folder):
    """mm.lora_adapter's adapter, over the linear-attention projections too."""
    saved = text.LINEARS
    text.LINEARS = tuple(sorted(LINEARS))
    try:
        return mm.lora_adapter(model, folder)
    finally:
        text.LINEARS = saved


def make(name, config_class, model_class, moe, videos, out_dir):
    config, model = build(config_class, model_class, moe)
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)
    inputs = q3.media(config, videos)
    save_file({k: v.contiguous() for k, v in inputs.items()}, os.path.join(folder, "inputs.safetensors"),
              metadata={"format": "pt"})
    ids, mask = q3.batch(videos)
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    frames = q3.VIDEO_GRIDS[0][0]
    image_rows = [b for b in range(ids.shape[0])
                  for _ in range(int((ids[b] == mm.VISION_START).sum() - (ids[b] == mm.VIDEO).any().int() * frames))]
    video_rows = [b for b in range(ids.shape[0]) if bool((ids[b] == mm.VIDEO).any())]
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="the media are in inputs.safetensors, in the order of their placeholder tokens",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), labels=labels.tolist(),
               image_rows=image_rows, video_rows=video_rows)
    with torch.no_grad():
        logits, loss = mm.forward(model, ids, mask, inputs, labels)
        ref["logits"] = mm.values(logits)
        ref["loss"] = loss
        tokens, margin = mm.greedy_cached(model, ids, mask, inputs)
        alone = []
        for b in range(ids.shape[0]):
            real = ids[b][mask[b] == 1].unsqueeze(0)
            own = q3.select(inputs, image_rows, video_rows, b)
            row, row_margin = mm.greedy_cached(model, real, torch.ones_like(real), own)
            alone.append(row[0])
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=text.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             min_top2_gap=margin, note="through the cache at the positions of transformers' forward")
        merged, adapted = lora_adapter(model, os.path.join(folder, "adapter"))
        lora_logits, lora_loss = mm.forward(merged, ids, mask, inputs, labels)
        ref["lora"] = dict(folder="adapter", modules=sorted(adapted), logits=mm.values(lora_logits), loss=lora_loss)
        # the images matter: the logits without their features (zeroed by a hook on the merger)
        hook = model.model.visual.merger.register_forward_hook(lambda mod, args, out: out * 0)
        blind, _ = mm.forward(model, ids, mask, inputs, labels)
        hook.remove()
        ref["max_image_effect"] = float((blind - logits).abs().max())
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}, "
          f"images move logits by up to {ref['max_image_effect']:.4f}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    for case, (config_class, model_class, moe, videos) in CASES.items():
        if not only or case in only:
            make(case, config_class, model_class, moe, videos, out)
