#!/usr/bin/env python3
"""Tiny Qwen3-VL and Qwen3-VL-MoE checkpoints and the outputs transformers itself computes for them.

The Qwen3-VL counterpart of make-multimodal-fixtures.py (whose batch layout, greedy decoding through the cache,
PEFT-format LoRA adapter and value rounding it reuses): each case is a model folder as save_pretrained writes it,
inputs.safetensors (the images' pixel_values and image_grid_thw, and for qwen3-vl a video, random but fixed, in the
order of their placeholder tokens) and reference.json: logits of a left-padded batch of two rows holding three
images, the causal-LM loss, the interleaved M-RoPE positions, greedy tokens through the model's cache with the
media (batched, and each row alone), and the logits of a LoRA adapter on the language model's linear layers.

What it exercises: 4-pixel patches (the Hub's are 16) with a bias, learned positions (a 4 x 4 table) bilinearly
interpolated to each image's grid, DeepStack features of vision blocks 0 and 1 added after language-model layers 0
and 1, head_dim 16 apart from hidden_size / heads, mrope_section [2, 3, 3] interleaved, q/k norms, and for the MoE
case 4 experts (2 per token) in layer 1 with layer 0 dense (mlp_only_layers). Qwen3-VL's video is prompted frame
group by frame group, each after its timestamp tokens.

The MoE checkpoint's stacked experts are rewritten in the layout of the released Qwen3-VL-MoE checkpoints,
experts.gate_up_proj (E, H, 2·I) and experts.down_proj (E, I, H) (save_pretrained in 5.12 writes its in-memory
(E, 2·I, H) and (E, H, I)); transformers reads both (conversion_mapping's Transpose with check_dims), and the
script checks that the rewritten folder loads back to the same logits.

    chroot /srv/sid python3 /work/wt-NAME/tools/make-qwen3-vl-fixtures.py OUT_DIR [CASE...]
"""
import copy
import importlib.util
import json
import os
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("multimodal", os.path.join(HERE, "make-multimodal-fixtures.py"))
mm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mm)
text = mm.text

VISION_START, IMAGE, VIDEO, VISION_END = mm.VISION_START, mm.IMAGE, mm.VIDEO, mm.VISION_END
TEXT = dict(mm.TEXT, head_dim=16)
# 16-wide heads have 8 rotary frequencies: interleaved T H W T H W T H, the last W (j = 8) past the head
MROPE = dict(rope_type="default", rope_theta=10000.0, mrope_section=[2, 3, 3], mrope_interleaved=True)
VISION = dict(depth=3, hidden_size=32, intermediate_size=48, num_heads=2, out_hidden_size=32, patch_size=4,
              spatial_merge_size=2, temporal_patch_size=2, in_channels=3, num_position_embeddings=16,
              deepstack_visual_indexes=[0, 1], hidden_act="gelu_pytorch_tanh")
# moe_intermediate_size 24: the experts' stacked (E, H, 2·I) and (E, 2·I, H) layouts differ in shape
MOE = dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=24, decoder_sparse_step=1,
           mlp_only_layers=[0])
MERGE = 2
GRIDS = mm.GRIDS  # (1, 4, 4), (1, 6, 4) in row 0; (1, 2, 4) in row 1
VIDEO_GRIDS = [[2, 4, 4]]  # two frame groups, each prompted after its timestamp
TIMESTAMPS = [[70, 71], [72, 73]]

CASES = {
    "qwen3-vl": ("Qwen3VLConfig", "Qwen3VLForConditionalGeneration", {}, True),
    "qwen3-vl-moe": ("Qwen3VLMoeConfig", "Qwen3VLMoeForConditionalGeneration", MOE, False),
}


def image(grid):
    return [VISION_START] + [IMAGE] * (grid[0] * grid[1] * grid[2] // (MERGE * MERGE)) + [VISION_END]


def video(grid):
    out = []
    for t in range(grid[0]):
        out += TIMESTAMPS[t] + [VISION_START] + [VIDEO] * (grid[1] * grid[2] // (MERGE * MERGE)) + [VISION_END]
    return out


def rows(videos):
    second = [1, 64] + image(GRIDS[2]) + [23, 87, 110, 3, 50]
    if videos:
        second = [1, 64] + image(GRIDS[2]) + [23, 87] + video(VIDEO_GRIDS[0]) + [110, 3, 50]
    return [[1, 17] + image(GRIDS[0]) + [93, 5, 44] + image(GRIDS[1]) + [8, 61], second]


def batch(videos):
    rs = rows(videos)
    width = max(len(r) for r in rs)
    ids = torch.tensor([[0] * (width - len(r)) + r for r in rs])
    mask = (torch.arange(width) >= (ids == 0).sum(-1, keepdim=True)).long()
    return ids, mask


def media(config, videos):
    g = torch.Generator().manual_seed(text.SEED + 3)
    v = config.vision_config
    patch = v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size
    patches = sum(t * h * w for t, h, w in GRIDS)
    out = dict(pixel_values=torch.randn(patches, patch, generator=g), image_grid_thw=torch.tensor(GRIDS))
    if videos:
        frames = sum(t * h * w for t, h, w in VIDEO_GRIDS)
        out.update(pixel_values_videos=torch.randn(frames, patch, generator=g), video_grid_thw=torch.tensor(VIDEO_GRIDS))
    return out


def select(inputs, image_rows, video_rows, row):
    out = {}
    for kind, item_rows in (("image", image_rows), ("video", video_rows)):
        pixels_key = "pixel_values" if kind == "image" else "pixel_values_videos"
        if f"{kind}_grid_thw" not in inputs:
            continue
        grid = inputs[f"{kind}_grid_thw"]
        sizes = [int(g.prod()) for g in grid]
        chosen = [i for i, r in enumerate(item_rows) if r == row]
        if not chosen:
            continue
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        out[pixels_key] = torch.cat([inputs[pixels_key][starts[i]:starts[i] + sizes[i]] for i in chosen])
        out[f"{kind}_grid_thw"] = grid[chosen]
    return out


def build(config_class, model_class, moe):
    torch.manual_seed(text.SEED)
    config = getattr(transformers, config_class)(
        text_config=dict(TEXT, rope_parameters=MROPE, tie_word_embeddings=False, **moe), vision_config=dict(VISION),
        image_token_id=IMAGE, video_token_id=VIDEO, vision_start_token_id=VISION_START,
        vision_end_token_id=VISION_END, tie_word_embeddings=False)
    model = getattr(transformers, model_class)._from_config(config, dtype=torch.float32,
                                                            attn_implementation="eager").eval()
    text.randomize(model, "qwen3")
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    return config, model


def hub_layout(folder):
    """The stacked experts as the released checkpoints store them: x @ W per expert."""
    path = os.path.join(folder, "model.safetensors")
    state = load_file(path)
    for key in list(state):
        if key.endswith("mlp.experts.gate_up_proj") or key.endswith("mlp.experts.down_proj"):
            state[key] = state[key].transpose(1, 2).contiguous()
    save_file(state, path, metadata={"format": "pt"})


def make(name, config_class, model_class, moe, videos, out_dir):
    config, model = build(config_class, model_class, moe)
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)
    if moe:
        hub_layout(folder)
    inputs = media(config, videos)
    save_file({k: v.contiguous() for k, v in inputs.items()}, os.path.join(folder, "inputs.safetensors"),
              metadata={"format": "pt"})
    ids, mask = batch(videos)
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    image_rows = [b for b in range(ids.shape[0]) for _ in range(int((ids[b] == VISION_START).sum()
                                                                    - (ids[b] == VIDEO).any().int()
                                                                    * VIDEO_GRIDS[0][0]))]
    video_rows = [b for b in range(ids.shape[0]) if bool((ids[b] == VIDEO).any())]
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="the media are in inputs.safetensors, in the order of their placeholder tokens",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), labels=labels.tolist(),
               image_rows=image_rows, video_rows=video_rows)
    with torch.no_grad():
        rope, deltas = model.model.get_rope_index(
            ids, mm.token_types(ids), inputs["image_grid_thw"], inputs.get("video_grid_thw"), attention_mask=mask)
        ref["mrope_position_ids"] = rope.tolist()
        ref["rope_deltas"] = deltas.flatten().tolist()
        logits, loss = mm.forward(model, ids, mask, inputs, labels)
        ref["logits"] = mm.values(logits)
        ref["loss"] = loss
        tokens, margin = mm.greedy_cached(model, ids, mask, inputs)
        generated, _ = mm.greedy(model, ids, mask, inputs)
        if generated != tokens:
            print(f"  {name}: generate() gives {generated}, the model's forward with its cache {tokens}")
        alone = []
        for b in range(ids.shape[0]):
            real = ids[b][mask[b] == 1].unsqueeze(0)
            own = select(inputs, image_rows, video_rows, b)
            row, row_margin = mm.greedy_cached(model, real, torch.ones_like(real), own)
            alone.append(row[0])
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=text.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             generate_tokens=generated, min_top2_gap=margin,
                             note="through the cache at the positions of transformers' forward")
        merged, adapted = mm.lora_adapter(model, os.path.join(folder, "adapter"))
        lora_logits, lora_loss = mm.forward(merged, ids, mask, inputs, labels)
        ref["lora"] = dict(folder="adapter", modules=sorted(adapted), logits=mm.values(lora_logits), loss=lora_loss)
        # without DeepStack (its features zeroed by an identity hook): the test sees DeepStack change the logits
        hooks = [m.register_forward_hook(lambda mod, args, out: out * 0)
                 for m in model.model.visual.deepstack_merger_list]
        plain, _ = mm.forward(model, ids, mask, inputs, labels)
        for h in hooks:
            h.remove()
        ref["max_deepstack_effect"] = float((plain - logits).abs().max())
        if moe:
            again = getattr(transformers, model_class).from_pretrained(folder, dtype=torch.float32,
                                                                       attn_implementation="eager").eval()
            reloaded, _ = mm.forward(again, ids, mask, inputs, labels)
            assert torch.allclose(reloaded, logits, atol=1e-5), "the Hub-layout experts load back differently"
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}, "
          f"DeepStack moves logits by up to {ref['max_deepstack_effect']:.4f}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    for case, (config_class, model_class, moe, videos) in CASES.items():
        if not only or case in only:
            make(case, config_class, model_class, moe, videos, out)
