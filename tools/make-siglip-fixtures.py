#!/usr/bin/env python3
"""Writes tiny PaliGemma and Gemma 3 vision checkpoints (SigLIP vision towers before Gemma decoders) and the outputs
transformers itself computes for them.

The SigLIP counterpart of make-multimodal-fixtures.py (it reuses make-reference-fixtures.py's seed, greedy length and
positions): each case is a model folder as save_pretrained writes it, with inputs.safetensors (pixel_values (N, C, H,
W), random but fixed, in the order of the images' placeholder runs, and token_type_ids) and reference.json beside it:
logits of a left-padded batch of two rows, the loss with labels, greedy tokens from generate() (batched, and each
prompt alone), and the logits of a PEFT LoRA adapter on the language model's linear layers.

- PaliGemma: <image> x N + BOS + prompt + "\\n" is the prefix (token_type_ids 0, bidirectional), the suffix
  (token_type_ids 1, causal) is labelled; generation prompts are prefixes only, as the processor makes them.
- Gemma 3: each image is <start_of_image> <image_soft_token> x mm_tokens_per_image <end_of_image>, its soft tokens
  bidirectional among themselves (token_type_ids 1); two images in row 0, one in row 1.

Needs torch, transformers and safetensors (the Debian sid chroot of docs/reference-fixtures.md):
    python3 tools/make-siglip-fixtures.py OUT_DIR [CASE...]
"""
import copy
import importlib.util
import json
import math
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("text_fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
text = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(text)

BOS, EOS, PAD, NEWLINE = 2, 1, 0, 108
IMAGE, BOI, EOI = 152, 150, 151
VOCAB = 160
GEMMA = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, head_dim=8, max_position_embeddings=256, rms_norm_eps=1e-6, bos_token_id=BOS,
             eos_token_id=EOS, pad_token_id=PAD, hidden_activation="gelu_pytorch_tanh")
# 32 x 32 images of 8-pixel patches: 16 patches, PaliGemma's 16 image tokens, Gemma 3's 4 after its 2 x 2 pooling
SIGLIP = dict(model_type="siglip_vision_model", hidden_size=32, intermediate_size=48, num_hidden_layers=2,
              num_attention_heads=2, image_size=32, patch_size=8, num_channels=3, layer_norm_eps=1e-6,
              hidden_act="gelu_pytorch_tanh", vision_use_head=False)
PATCHES = 16
MM_TOKENS = 4

CASES = {
    # name -> text model_type
    "paligemma": "gemma",
    "paligemma2": "gemma2",
    "gemma3-vision": "gemma3_text",
}


def text_config(model_type):
    cfg = dict(GEMMA, model_type=model_type)
    if model_type == "gemma2":
        # a window (16) shorter than row 0's prefix (22): the prefix block stays whole in the local layer
        cfg.update(query_pre_attn_scalar=8, sliding_window=16, attn_logit_softcapping=50.0,
                   final_logit_softcapping=30.0, layer_types=["sliding_attention", "full_attention"])
    if model_type == "gemma3_text":
        # a window (3) shorter than an image's 4 soft tokens: each image stays whole in the local layer
        cfg.update(query_pre_attn_scalar=8, sliding_window=3, layer_types=["sliding_attention", "full_attention"],
                   rope_parameters=dict(sliding_attention=dict(rope_type="default", rope_theta=10000.0),
                                        full_attention=dict(rope_type="linear", rope_theta=1000000.0, factor=8.0)))
    return cfg


def build(name):
    torch.manual_seed(text.SEED)
    model_type = CASES[name]
    if model_type == "gemma3_text":
        config = transformers.Gemma3Config(text_config=text_config(model_type), vision_config=dict(SIGLIP),
                                           mm_tokens_per_image=MM_TOKENS, boi_token_index=BOI, eoi_token_index=EOI,
                                           image_token_index=IMAGE, tie_word_embeddings=True)
        model_class = transformers.Gemma3ForConditionalGeneration
    else:
        config = transformers.PaliGemmaConfig(text_config=text_config(model_type), vision_config=dict(SIGLIP),
                                              image_token_index=IMAGE, vocab_size=VOCAB, projection_dim=32,
                                              hidden_size=32, tie_word_embeddings=True)
        model_class = transformers.PaliGemmaForConditionalGeneration
    model = model_class._from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
    randomize(model)
    model.generation_config.eos_token_id = EOS
    model.generation_config.pad_token_id = PAD
    model.generation_config.bos_token_id = BOS
    return config, model


def randomize(model):
    """Weights far from HF's small init (make-reference-fixtures.py's idea): LayerNorms around 1, Gemma's RMSNorms
    (which multiply by 1 + w) around 0, weights with std 1.5 / sqrt(fan-in)."""
    g = torch.Generator().manual_seed(text.SEED)
    with torch.no_grad():
        for name, p in model.named_parameters():
            layer_norm = "vision_tower" in name and ("layer_norm" in name or "layernorm" in name)
            if p.dim() == 1 and layer_norm and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))  # biases, Gemma's RMSNorm (1 + w)
            elif "embed_tokens" in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))  # tied, and scaled by sqrt(hidden) at the input
            elif name.endswith("mm_input_projection_weight"):  # used as x @ W: fan-in is the first axis
                p.copy_(torch.randn(p.shape, generator=g) * (1.5 / math.sqrt(p.shape[0])))
            else:
                fan_in = p[0].numel()  # the conv patch embedding's C·P·P
                p.copy_(torch.randn(p.shape, generator=g) * (1.5 / math.sqrt(fan_in)))


def paligemma_rows():
    """(prefix, suffix) per row: 16 image tokens, BOS, the prompt, "\\n"; then the answer and EOS."""
    image = [IMAGE] * PATCHES
    return [(image + [BOS, 17, 93, 5, 44, NEWLINE], [61, 33, 77, EOS]),
            (image + [BOS, 64, 23, NEWLINE], [110, 87, 3, 50, 12, EOS])]


def gemma3_rows():
    image = [NEWLINE, BOI] + [IMAGE] * MM_TOKENS + [EOI, NEWLINE]
    return [[BOS, 17] + image + [93, 5, 44] + image + [8, 61, 33], [BOS, 64] + image + [23, 87, 110, 3, 50]]


def left_pad(rows, fill=PAD):
    width = max(len(r) for r in rows)
    return torch.tensor([[fill] * (width - len(r)) + r for r in rows])


def batch(name):
    """ids, mask, token_type_ids, labels of the training batch; the generation prompts."""
    if name.startswith("paligemma"):
        rows = paligemma_rows()
        ids = left_pad([p + s for p, s in rows])
        types = left_pad([[0] * len(p) + [1] * len(s) for p, s in rows], 0)
        mask = left_pad([[1] * (len(p) + len(s)) for p, s in rows], 0)
        labels = ids.masked_fill(types == 0, -100)  # the processor labels the suffix only
        prompts = [p for p, _ in rows]
    else:
        rows = gemma3_rows()
        ids = left_pad(rows)
        mask = left_pad([[1] * len(r) for r in rows], 0)
        types = (ids == IMAGE).long()
        labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
        labels = labels.masked_fill(types == 1, -100)  # ms-swift does not label image tokens
        prompts = rows
    return ids, mask, types, labels, prompts


def position_ids(name, mask):
    # generate()'s positions (real tokens counted); PaliGemma's are 1-based
    return text.positions(mask) + (1 if name.startswith("paligemma") else 0)


def forward(model, name, ids, mask, types, labels, pixels):
    out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels, pixel_values=pixels,
                position_ids=position_ids(name, mask))
    return out.logits.float(), float(out.loss)


def greedy(model, ids, mask, types, pixels):
    model = copy.deepcopy(model)
    out = model.generate(input_ids=ids, attention_mask=mask, token_type_ids=types, pixel_values=pixels,
                         do_sample=False, max_new_tokens=text.NEW_TOKENS, output_scores=True,
                         return_dict_in_generate=True)
    new = out.sequences[:, ids.shape[1]:].tolist()
    rows, margin = [], float("inf")
    for b, row in enumerate(new):
        kept = []
        for step, token in enumerate(row):
            top = torch.topk(out.scores[step][b].float(), 2).values
            margin = min(margin, float(top[0] - top[1]))
            kept.append(token)
            if token == EOS:
                break
        rows.append(kept)
    return rows, margin


def prompt_batch(name, prompts):
    ids = left_pad(prompts)
    mask = left_pad([[1] * len(p) for p in prompts], 0)
    types = torch.zeros_like(ids) if name.startswith("paligemma") else (ids == IMAGE).long()
    return ids, mask, types


def lora_adapter(model, folder):
    """PEFT's LoRA (make-reference-fixtures.py's formula) on the language model's linear layers, keys as PEFT names
    transformers 5's modules (base_model.model.model.language_model.layers.N...)."""
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
    return adapted.eval(), sorted(merged)


def make(name, out_dir):
    config, model = build(name)
    folder = os.path.join(out_dir, name)
    model.save_pretrained(folder)
    ids, mask, types, labels, prompts = batch(name)
    images = int((ids == IMAGE).sum()) // (PATCHES if name.startswith("paligemma") else MM_TOKENS)
    g = torch.Generator().manual_seed(text.SEED + 3)
    pixels = torch.randn(images, 3, 32, 32, generator=g)  # normalised pixels are about N(0, 1)
    save_file({"pixel_values": pixels.contiguous(), "token_type_ids": types.contiguous()},
              os.path.join(folder, "inputs.safetensors"), metadata={"format": "pt"})
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="pixel_values and token_type_ids are in inputs.safetensors; logits at generate()'s positions",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), token_type_ids=types.tolist(),
               labels=labels.tolist(), position_ids=position_ids(name, mask).tolist())
    with torch.no_grad():
        logits, loss = forward(model, name, ids, mask, types, labels, pixels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        p_ids, p_mask, p_types = prompt_batch(name, prompts)
        per_row = [int((p_ids[b] == IMAGE).sum()) // (images and int((ids == IMAGE).sum()) // images)
                   for b in range(p_ids.shape[0])]
        tokens, margin = greedy(model, p_ids, p_mask, p_types, pixels)
        alone = []
        first = 0
        for b, prompt in enumerate(prompts):
            one, one_mask, one_types = prompt_batch(name, [prompt])
            row, row_margin = greedy(model, one, one_mask, one_types, pixels[first:first + per_row[b]])
            first += per_row[b]
            alone.append(row[0])
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=text.NEW_TOKENS, eos_token_id=EOS, input_ids=p_ids.tolist(),
                             attention_mask=p_mask.tolist(), token_type_ids=p_types.tolist(), images_per_row=per_row,
                             tokens=tokens, tokens_alone=alone, min_top2_gap=margin)
        merged, adapted = lora_adapter(model, os.path.join(folder, "adapter"))
        lora_logits, lora_loss = forward(merged, name, ids, mask, types, labels, pixels)
        ref["lora"] = dict(folder="adapter", modules=adapted,
                           logits=dict(shape=list(lora_logits.shape), values=lora_logits.tolist()), loss=lora_loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "reference-fixtures"
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    for case in CASES:
        if not only or case in only:
            make(case, out)
