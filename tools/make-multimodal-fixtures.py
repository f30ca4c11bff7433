#!/usr/bin/env python3
"""Writes tiny Hugging Face vision-language checkpoints and the outputs transformers itself computes for them.

The multimodal counterpart of make-reference-fixtures.py (whose seed, weight randomisation, PEFT-format LoRA
adapter and greedy-decoding helpers it reuses): each case is a model folder as save_pretrained writes it, with
inputs.safetensors (the images' pixel_values and image_grid_thw, random but fixed, in the order of their
placeholder tokens in the batch) and reference.json beside it: logits of a left-padded batch of two rows holding
three images, the causal-LM loss, greedy tokens from generate() with the images (batched, and each row alone
through the model's own cache), and the logits of a LoRA adapter on the language model's linear layers. Osprey's
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
from safetensors.torch import save_file

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
VISION = dict(depth=2, embed_dim=32, num_heads=2, mlp_ratio=2, hidden_size=32, patch_size=14, spatial_merge_size=2,
              temporal_patch_size=2, in_channels=3)

CASES = {
    "qwen2-vl": ("Qwen2VLConfig", "Qwen2VLForConditionalGeneration", dict(VISION)),
}

# (t, h, w) in patches of each image, in the order their placeholders appear: two in row 0, one in row 1
GRIDS = [[1, 4, 4], [1, 6, 4], [1, 2, 4]]
MERGE = 2


def image(grid):
    return [VISION_START] + [IMAGE] * (grid[0] * grid[1] * grid[2] // (MERGE * MERGE)) + [VISION_END]


ROWS = [[1, 17] + image(GRIDS[0]) + [93, 5, 44] + image(GRIDS[1]) + [8, 61],
        [1, 64] + image(GRIDS[2]) + [23, 87, 110, 3, 50]]


def batch():
    width = max(len(r) for r in ROWS)
    ids = torch.tensor([[0] * (width - len(r)) + r for r in ROWS])  # left-padded, as batched generation pads
    mask = (torch.arange(width) >= (ids == 0).sum(-1, keepdim=True)).long()
    return ids, mask


def token_types(ids):
    return (ids == IMAGE).int() + 2 * (ids == VIDEO).int()  # the processor's mm_token_type_ids


def media(config):
    g = torch.Generator().manual_seed(text.SEED + 3)
    v = config.vision_config
    patch = v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size
    patches = sum(t * h * w for t, h, w in GRIDS)
    return torch.randn(patches, patch, generator=g), torch.tensor(GRIDS)  # normalised pixels are about N(0, 1)


def greedy_cached(model, ids, pixels, grid):
    """One row alone, prefilled with its images, then one token at a time through the model's cache."""
    model = copy.deepcopy(model)
    mask = torch.ones_like(ids)
    out = model(input_ids=ids, attention_mask=mask, pixel_values=pixels, image_grid_thw=grid,
                mm_token_type_ids=token_types(ids), use_cache=True)
    deltas = model.model.rope_deltas
    tokens, margin = [], float("inf")
    for step in range(text.NEW_TOKENS):
        scores = out.logits[0, -1].float()
        top = torch.topk(scores, 2).values
        margin = min(margin, float(top[0] - top[1]))
        token = int(scores.argmax())
        tokens.append(token)
        if token == model.generation_config.eos_token_id:
            break
        position = (torch.tensor([[ids.shape[1] + step]]) + deltas).expand(3, 1, 1)  # text continues after the image
        mask = torch.cat([mask, torch.ones(1, 1, dtype=mask.dtype)], dim=1)
        out = model(input_ids=torch.tensor([[token]]), attention_mask=mask, past_key_values=out.past_key_values,
                    position_ids=position, use_cache=True)
    return tokens, margin


def greedy(model, ids, mask, pixels, grid):
    model = copy.deepcopy(model)
    out = model.generate(input_ids=ids, attention_mask=mask, pixel_values=pixels, image_grid_thw=grid,
                         mm_token_type_ids=token_types(ids), do_sample=False, max_new_tokens=text.NEW_TOKENS,
                         output_scores=True, return_dict_in_generate=True)
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


def forward(model, ids, mask, pixels, grid, labels):
    out = model(input_ids=ids, attention_mask=mask, pixel_values=pixels, image_grid_thw=grid,
                mm_token_type_ids=token_types(ids), labels=labels)
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


def make(name, config_class, model_class, vision, out_dir):
    torch.manual_seed(text.SEED)
    config = getattr(transformers, config_class)(
        text_config=dict(TEXT, rope_parameters=MROPE, tie_word_embeddings=False), vision_config=vision,
        image_token_id=IMAGE, video_token_id=VIDEO, vision_start_token_id=VISION_START,
        vision_end_token_id=VISION_END, tie_word_embeddings=False)
    model = getattr(transformers, model_class)._from_config(config, dtype=torch.float32,
                                                            attn_implementation="eager").eval()
    text.randomize(model, "qwen2")
    folder = os.path.join(out_dir, name)
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    model.save_pretrained(folder)
    pixels, grid = media(config)
    save_file({"pixel_values": pixels.contiguous(), "image_grid_thw": grid.contiguous()},
              os.path.join(folder, "inputs.safetensors"), metadata={"format": "pt"})

    ids, mask = batch()
    # a left-padded row's first token would be predicted from a padding position: it is not a label
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="pixel_values and image_grid_thw are in inputs.safetensors, in the order of the image tokens",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), labels=labels.tolist())
    with torch.no_grad():
        rope, deltas = model.model.get_rope_index(ids, token_types(ids), grid, None, mask)
        ref["mrope_position_ids"] = rope.tolist()
        ref["rope_deltas"] = deltas.flatten().tolist()
        logits, loss = forward(model, ids, mask, pixels, grid, labels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        tokens, margin = greedy(model, ids, mask, pixels, grid)
        alone, first = [], 0
        for b in range(ids.shape[0]):
            real = ids[b][mask[b] == 1].unsqueeze(0)
            count = int((real == VISION_START).sum())
            row_grid = grid[first:first + count]
            row_pixels = pixels[sum(int(g.prod()) for g in grid[:first]):][:sum(int(g.prod()) for g in row_grid)]
            first += count
            row, row_margin = greedy_cached(model, real, row_pixels, row_grid)
            alone.append(row)
            margin = min(margin, row_margin)
            generated, _ = greedy(model, real, torch.ones_like(real), row_pixels, row_grid)
            if generated[0] != row:
                print(f"  {name} row {b}: generate() gives {generated[0]}, the model's forward with its cache {row}")
        ref["greedy"] = dict(max_new_tokens=text.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             min_top2_gap=margin)
        merged, adapted = lora_adapter(model, os.path.join(folder, "adapter"))
        lora_logits, lora_loss = forward(merged, ids, mask, pixels, grid, labels)
        ref["lora"] = dict(folder="adapter", modules=sorted(adapted),
                           logits=dict(shape=list(lora_logits.shape), values=lora_logits.tolist()), loss=lora_loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    for case, (config_class, model_class, vision) in CASES.items():
        if not only or case in only:
            make(case, config_class, model_class, vision, out)
