#!/usr/bin/env python3
"""Writes tiny Hugging Face vision-language checkpoints and the outputs transformers itself computes for them.

The multimodal counterpart of make-reference-fixtures.py (whose seed, weight randomisation, PEFT-format LoRA
adapter and greedy-decoding helpers it reuses): each case is a model folder as save_pretrained writes it, with
inputs.safetensors (the images' pixel_values and image_grid_thw, and Qwen2.5-VL's video, random but fixed, in the
order of their placeholder tokens in the batch) and reference.json beside it: logits of a left-padded batch of two
rows holding three images, the causal-LM loss, the M-RoPE positions, greedy tokens through the model's cache with the
media (batched, and each row alone), and the logits of a LoRA adapter on the language model's linear layers. Osprey's
tests load the folders and must reproduce these numbers.

Needs torch, transformers and safetensors (the Debian sid chroot of docs/reference-fixtures.md):
    python3 tools/make-multimodal-fixtures.py OUT_DIR [CASE...]
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
_spec = importlib.util.spec_from_file_location("text_fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
text = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(text)

VISION_START, IMAGE, VIDEO, VISION_END = 150, 151, 152, 153
TEXT = dict(vocab_size=160, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2,
            pad_token_id=0)
# mrope_section splits the head's 4 rotary frequencies into temporal, height and width
MROPE = dict(rope_type="default", rope_theta=10000.0, mrope_section=[1, 1, 2])
# 4-pixel patches (the Hub's are 14) keep the patch embedding and the pixels, and so the fixtures, small
VISION = dict(depth=2, embed_dim=32, num_heads=2, mlp_ratio=2, hidden_size=32, patch_size=4, spatial_merge_size=2,
              temporal_patch_size=2, in_channels=3)
# Qwen2.5-VL: windows of 16 pixels = 2 x 2 merged tokens of 4-pixel patches; block 1 attends over whole items,
# block 0 within windows
VISION_25 = dict(depth=2, hidden_size=32, intermediate_size=48, num_heads=2, out_hidden_size=32, patch_size=4,
                 spatial_merge_size=2, temporal_patch_size=2, in_channels=3, window_size=16, fullatt_block_indexes=[1],
                 tokens_per_second=4, hidden_act="silu")
MERGE = 2
# (t, h, w) in patches of each image, in the order their placeholders appear: two in row 0, one in row 1
GRIDS = [[1, 4, 4], [1, 6, 4], [1, 2, 4]]
# Qwen2.5-VL also has a video of two frame groups in row 1, 2 seconds each: its temporal positions step by 4 * 2
VIDEO_GRIDS = [[2, 4, 4]]
SECONDS_PER_GRID = [2.0]

# name -> (config class, model class, vision config, videos?)
CASES = {
    "qwen2-vl": ("Qwen2VLConfig", "Qwen2VLForConditionalGeneration", dict(VISION), False),
    "qwen2.5-vl": ("Qwen2_5_VLConfig", "Qwen2_5_VLForConditionalGeneration", dict(VISION_25), True),
}
# pre-quantized checkpoints as the Hub's AWQ/GPTQ ids store them: the language model's linears packed (make-reference-
# fixtures.py's formats), the vision tower dense; the same model and media as the case named, logits and loss only
QUANTIZED = {
    "qwen2.5-vl-awq": ("qwen2.5-vl", "awq"),
}


def placeholder(grid, token=IMAGE):
    return [VISION_START] + [token] * (grid[0] * grid[1] * grid[2] // (MERGE * MERGE)) + [VISION_END]


def rows(videos):
    second = [1, 64] + placeholder(GRIDS[2]) + [23, 87, 110, 3, 50]
    if videos:
        second = [1, 64] + placeholder(GRIDS[2]) + [23, 87] + placeholder(VIDEO_GRIDS[0], VIDEO) + [110, 3, 50]
    return [[1, 17] + placeholder(GRIDS[0]) + [93, 5, 44] + placeholder(GRIDS[1]) + [8, 61], second]


def batch(videos):
    rs = rows(videos)
    width = max(len(r) for r in rs)
    ids = torch.tensor([[0] * (width - len(r)) + r for r in rs])  # left-padded, as batched generation pads
    mask = (torch.arange(width) >= (ids == 0).sum(-1, keepdim=True)).long()
    return ids, mask


def values(logits):
    """Logits for reference.json, to 6 decimals: far below the tests' tolerance (1e-4 of the largest logit), and
    the files stay small."""
    return dict(shape=list(logits.shape), values=[[[round(x, 6) for x in t] for t in row] for row in logits.tolist()])


def token_types(ids):
    return (ids == IMAGE).int() + 2 * (ids == VIDEO).int()  # the processor's mm_token_type_ids


def media(config, videos):
    """pixel_values and image_grid_thw (and the video's), random but fixed: normalised pixels are about N(0, 1)."""
    g = torch.Generator().manual_seed(text.SEED + 3)
    v = config.vision_config
    patch = v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size
    patches = sum(t * h * w for t, h, w in GRIDS)
    out = dict(pixel_values=torch.randn(patches, patch, generator=g), image_grid_thw=torch.tensor(GRIDS))
    if videos:
        frames = sum(t * h * w for t, h, w in VIDEO_GRIDS)
        out.update(pixel_values_videos=torch.randn(frames, patch, generator=g), video_grid_thw=torch.tensor(VIDEO_GRIDS),
                   second_per_grid_ts=torch.tensor(SECONDS_PER_GRID))
    return out


def select(inputs, ids, image_rows, video_rows, row):
    """The media of batch row {row} alone."""
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
        if kind == "video":
            out["second_per_grid_ts"] = inputs["second_per_grid_ts"][chosen]
    return out


def greedy_cached(model, ids, mask, inputs):
    """Greedy tokens of a (left-padded) batch: prefilled with its media, then one token at a time through the model's
    cache at the positions transformers' forward gives a cached step (compute_3d_position_ids): the real tokens
    counted plus rope_deltas, so text continues after the largest position of the prompt. generate() in 5.12 instead
    continues from the last token's positions, which differs after a video whose frames span more positions than
    its rows and columns (Qwen2.5-VL's tokens_per_second); vLLM and transformers 4 continue as the forward does."""
    model = copy.deepcopy(model)
    out = model(input_ids=ids, attention_mask=mask, mm_token_type_ids=token_types(ids), use_cache=True, **inputs)
    deltas = model.model.rope_deltas  # (B, 1)
    rows = [[] for _ in range(ids.shape[0])]
    done = [False] * ids.shape[0]
    margin = float("inf")
    for step in range(text.NEW_TOKENS):
        scores = out.logits[:, -1].float()
        tokens = scores.argmax(-1)
        for b in range(ids.shape[0]):
            if not done[b]:
                top = torch.topk(scores[b], 2).values
                margin = min(margin, float(top[0] - top[1]))
                rows[b].append(int(tokens[b]))
                done[b] = int(tokens[b]) == model.generation_config.eos_token_id
        if all(done):
            break
        mask = torch.cat([mask, torch.ones(mask.shape[0], 1, dtype=mask.dtype)], dim=1)
        position = (mask.cumsum(-1)[:, -1:] - 1 + deltas).unsqueeze(0).expand(3, -1, -1)  # (3, B, 1)
        out = model(input_ids=tokens.unsqueeze(1), attention_mask=mask, past_key_values=out.past_key_values,
                    position_ids=position, use_cache=True)
    return rows, margin


def greedy(model, ids, mask, inputs):
    model = copy.deepcopy(model)
    out = model.generate(input_ids=ids, attention_mask=mask, mm_token_type_ids=token_types(ids), do_sample=False,
                         max_new_tokens=text.NEW_TOKENS, output_scores=True, return_dict_in_generate=True, **inputs)
    new = out.sequences[:, ids.shape[1]:].tolist()
    rows, margin = [], float("inf")
    for b, row in enumerate(new):
        kept = []
        for step, token in enumerate(row):
            top = torch.topk(out.scores[step][b].float(), 2).values
            margin = min(margin, float(top[0] - top[1]))
            kept.append(token)
            if token == model.generation_config.eos_token_id:
                break
        rows.append(kept)
    return rows, margin


def forward(model, ids, mask, inputs, labels):
    out = model(input_ids=ids, attention_mask=mask, mm_token_type_ids=token_types(ids), labels=labels, **inputs)
    return out.logits.float(), float(out.loss)


def lora_adapter(model, folder):
    """PEFT's LoRA (make-reference-fixtures.py's formula) on the language model's linear layers only, as ms-swift
    targets them with the vision tower frozen; keys as PEFT names transformers 5's modules
    (base_model.model.model.language_model.layers.N...). Returns the merged copy and the adapted modules."""
    g = torch.Generator().manual_seed(text.SEED + 1)
    r, alpha = 4, 8
    tensors, merged = {}, {}
    for name, module in model.named_modules():
        if name.split(".")[-1] in text.LINEARS and ".language_model." in name:
            rows, columns = module.weight.shape
            a = torch.randn(r, columns, generator=g) * 0.3
            b = torch.randn(rows, r, generator=g) * 0.3
            tensors[f"base_model.model.{name}.lora_A.weight"] = a.contiguous()
            tensors[f"base_model.model.{name}.lora_B.weight"] = b.contiguous()
            merged[name] = alpha / r * (b @ a)
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(dict(peft_type="LORA", task_type="CAUSAL_LM", r=r, lora_alpha=alpha, lora_dropout=0.0,
                       target_modules=sorted(text.LINEARS), use_rslora=False, fan_in_fan_out=False, bias="none",
                       base_model_name_or_path=None, use_dora=False, modules_to_save=None), f, indent=2)
    adapted = copy.deepcopy(model)
    with torch.no_grad():
        for name, module in adapted.named_modules():
            if name in merged:
                module.weight.add_(merged[name])
    return adapted.eval(), list(merged)


def build(config_class, model_class, vision):
    torch.manual_seed(text.SEED)
    config = getattr(transformers, config_class)(
        text_config=dict(TEXT, rope_parameters=MROPE, tie_word_embeddings=False), vision_config=vision,
        image_token_id=IMAGE, video_token_id=VIDEO, vision_start_token_id=VISION_START,
        vision_end_token_id=VISION_END, tie_word_embeddings=False)
    model = getattr(transformers, model_class)._from_config(config, dtype=torch.float32,
                                                            attn_implementation="eager").eval()
    text.randomize(model, "qwen2")
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    return config, model


def make_quantized(name, base, method, out_dir):
    config_class, model_class, vision, videos = CASES[base]
    config, model = build(config_class, model_class, vision)
    folder = os.path.join(out_dir, name)
    # the language model's linears only (transformers names them model.language_model.layers.N... in memory, the
    # checkpoint model.layers.N...); quantize_linears leaves their dequantized values in the model, the reference
    parts = {"model." + k: v for k, v in text.quantize_linears(model.model.language_model, method).items()}
    model.save_pretrained(folder)
    weights = os.path.join(folder, "model.safetensors")
    state = load_file(weights)
    for module in [k[: -len(".qweight")] for k in parts if k.endswith(".qweight")]:
        del state[module + ".weight"]
    state.update(parts)
    save_file(state, weights, metadata={"format": "pt"})
    config_file = os.path.join(folder, "config.json")
    with open(config_file) as f:
        saved = json.load(f)
    saved["quantization_config"] = dict(text.QUANT_CONFIG[method], modules_to_not_convert=["visual"])
    with open(config_file, "w") as f:
        json.dump(saved, f, indent=2)
    inputs = media(config, videos)
    ids, mask = batch(videos)
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    with torch.no_grad():
        logits, loss = forward(model, ids, mask, inputs, labels)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note=f"the media are {base}'s inputs.safetensors", inputs=f"../{base}/inputs.safetensors",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), labels=labels.tolist(),
               logits=values(logits), loss=loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}")


def make(name, config_class, model_class, vision, videos, out_dir):
    config, model = build(config_class, model_class, vision)
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)
    inputs = media(config, videos)
    save_file({k: v.contiguous() for k, v in inputs.items()}, os.path.join(folder, "inputs.safetensors"),
              metadata={"format": "pt"})

    ids, mask = batch(videos)
    # a left-padded row's first token would be predicted from a padding position: it is not a label
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    image_rows = [b for b in range(ids.shape[0]) for _ in range(int((ids[b] == VISION_START).sum()
                                                                    - (ids[b] == VIDEO).any().int()))]
    video_rows = [b for b in range(ids.shape[0]) if bool((ids[b] == VIDEO).any())]
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="the media are in inputs.safetensors, in the order of their placeholder tokens",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), labels=labels.tolist(),
               image_rows=image_rows, video_rows=video_rows)
    with torch.no_grad():
        rope, deltas = model.model.get_rope_index(
            ids, token_types(ids), inputs["image_grid_thw"], inputs.get("video_grid_thw"), attention_mask=mask,
            **({"second_per_grid_ts": inputs["second_per_grid_ts"]} if videos else {}))
        ref["mrope_position_ids"] = rope.tolist()
        ref["rope_deltas"] = deltas.flatten().tolist()
        logits, loss = forward(model, ids, mask, inputs, labels)
        ref["logits"] = values(logits)
        ref["loss"] = loss
        tokens, margin = greedy_cached(model, ids, mask, inputs)
        generated, _ = greedy(model, ids, mask, inputs)
        if generated != tokens:
            print(f"  {name}: generate() gives {generated}, the model's forward with its cache {tokens}")
        alone = []
        for b in range(ids.shape[0]):
            real = ids[b][mask[b] == 1].unsqueeze(0)
            own = select(inputs, ids, image_rows, video_rows, b)
            row, row_margin = greedy_cached(model, real, torch.ones_like(real), own)
            alone.append(row[0])
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=text.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             generate_tokens=generated, min_top2_gap=margin,
                             note="through the cache at the positions of transformers' forward (see greedy_cached)")
        merged, adapted = lora_adapter(model, os.path.join(folder, "adapter"))
        lora_logits, lora_loss = forward(merged, ids, mask, inputs, labels)
        ref["lora"] = dict(folder="adapter", modules=sorted(adapted),
                           logits=values(lora_logits), loss=lora_loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    for case, (config_class, model_class, vision, videos) in CASES.items():
        if not only or case in only:
            make(case, config_class, model_class, vision, videos, out)
    for case, (base, method) in QUANTIZED.items():
        if not only or case in only:
            make_quantized(case, base, method, out)
