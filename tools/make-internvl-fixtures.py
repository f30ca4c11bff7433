#!/usr/bin/env python3
"""Writes tiny InternVL checkpoints, both formats, and the outputs their own code computes for them.

- internvl-hf: transformers' InternVLForConditionalGeneration (model_type internvl, the "-hf" ids) with a Qwen2
  language model and InternViT-300M's kind of vision tower (LayerNorm blocks, no q/k norm), from_config and
  save_pretrained; logits, loss, greedy tokens (generate()) and a PEFT LoRA adapter on the language model.
- internvl-chat: the original remote-code format (model_type internvl_chat, InternVLChatModel) with a Qwen2 language
  model and InternViT-6B's kind of tower (RMSNorm blocks with q/k RMSNorm). transformers has no class for it, so the
  numbers come from running OpenGVLab's published code: pass the folder that holds its `internvl` package
  (internvl_chat/ of github.com/OpenGVLab/InternVL, e.g. unpacked under /tmp; never copied into this repository).
  That code imports timm (only DropPath, unused at drop_path_rate 0) and peft (only for its own LoRA wrappers):
  this script puts inert stand-ins for those on the path; einops is real (InternLM2's attention uses it; Debian's
  python3-einops), a stand-in only for the Qwen2 case when it is missing. Two chat cases: InternViT-6B's kind of
  tower (RMSNorm, q/k norms) over Qwen2, and InternViT-300M's kind (LayerNorm, q/k/v biases, ps_version v1) over
  OpenGVLab's own InternLM2 code (internvl_chat/internvl/model/internlm2; under transformers 5 its rope_scaling is
  set to None, none being meant, and it cannot generate(), so its greedy tokens come from its forward step by step).
  Logits, loss, greedy tokens and a LoRA adapter.

Each folder holds the checkpoint, inputs.safetensors (pixel_values: the tiles of three images, random but fixed,
in the order of their placeholder runs) and reference.json. Row 0 holds two images (2 tiles and 1 tile), row 1,
left-padded, one image of 3 tiles; each tile is <img> + IMG_CONTEXT x num_image_token + </img>'s share.

Needs torch, transformers and safetensors (the Debian sid chroot of docs/reference-fixtures.md):
    python3 tools/make-internvl-fixtures.py OUT_DIR REMOTE_CODE_DIR [CASE...]
"""
import copy
import importlib.util
import json
import os
import sys
import tempfile
import types

import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("text_fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
text = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(text)

IMG_START, IMG_END, IMG_CONTEXT = 150, 151, 152
TEXT = dict(vocab_size=160, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2,
            pad_token_id=0, rope_theta=10000.0, tie_word_embeddings=False)
# 16-pixel tiles of 4-pixel patches: 4 x 4 patches, pixel-shuffled to 2 x 2 = 4 tokens per tile
IMAGE_SIZE, PATCH, TOKENS_PER_TILE = 16, 4, 4
VISION = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=48, hidden_act="gelu",
              layer_norm_eps=1e-6, image_size=IMAGE_SIZE, patch_size=PATCH, num_channels=3)
TILES = [2, 1, 3]  # tiles per image, in placeholder order: two images in row 0, one in row 1


def image(tiles):
    """How InternVL's chat code and processor expand one image: <img>, its tiles' tokens, </img>."""
    return [IMG_START] + [IMG_CONTEXT] * (tiles * TOKENS_PER_TILE) + [IMG_END]


def batch():
    rows = [[1, 17] + image(TILES[0]) + [93, 5, 44] + image(TILES[1]) + [8, 61],
            [1, 64] + image(TILES[2]) + [23, 87, 110, 3, 50]]
    width = max(len(r) for r in rows)
    ids = torch.tensor([[0] * (width - len(r)) + r for r in rows])  # left-padded, as batched generation pads
    mask = (torch.arange(width) >= (ids == 0).sum(-1, keepdim=True)).long()
    return ids, mask


def pixels():
    g = torch.Generator().manual_seed(text.SEED + 3)
    return torch.randn(sum(TILES), 3, IMAGE_SIZE, IMAGE_SIZE, generator=g)  # normalised pixels are about N(0, 1)


def randomize(model):
    """make-reference-fixtures.py's randomisation, with the layer scales near InternViT's 0.1-1 and the tower's
    position embeddings and class token at the scale of its patch embeddings."""
    text.randomize(model, "qwen2")
    g = torch.Generator().manual_seed(text.SEED + 5)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.split(".")[-1] in ("ls1", "ls2", "lambda_1", "lambda_2"):
                p.copy_(0.5 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.split(".")[-1] in ("class_embedding", "position_embedding", "cls_token", "position_embeddings"):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))


def lora_adapter(model, folder, prefix, linears=text.LINEARS):
    """PEFT's LoRA (make-reference-fixtures.py's formula) on the language model's linears, the tower frozen, as
    ms-swift targets them; keys as PEFT names the modules (base_model.model.<module>.lora_A.weight)."""
    g = torch.Generator().manual_seed(text.SEED + 1)
    r, alpha = 4, 8
    tensors, merged = {}, {}
    for name, module in model.named_modules():
        if name.split(".")[-1] in linears and name.startswith(prefix):
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
                       target_modules=sorted(linears), use_rslora=False, fan_in_fan_out=False, bias="none",
                       base_model_name_or_path=None, use_dora=False, modules_to_save=None), f, indent=2)
    adapted = copy.deepcopy(model)
    with torch.no_grad():
        for name, module in adapted.named_modules():
            if name in merged:
                module.weight.add_(merged[name])
    return adapted.eval(), sorted(merged)


def kept_until_eos(new, scores):
    rows, margin = [], float("inf")
    for b, row in enumerate(new):
        kept = []
        for step, token in enumerate(row):
            top = torch.topk(scores[step][b].float(), 2).values
            margin = min(margin, float(top[0] - top[1]))
            kept.append(token)
            if token == 2:
                break
        rows.append(kept)
    return rows, margin


# --- the Hugging Face format ---------------------------------------------------------------------------------------

def hf_model():
    torch.manual_seed(text.SEED)
    config = transformers.InternVLConfig(
        text_config=dict(TEXT, model_type="qwen2"), vision_config=dict(VISION, use_qk_norm=False,
                                                                       norm_type="layer_norm"),
        image_token_id=IMG_CONTEXT, image_seq_length=TOKENS_PER_TILE, downsample_ratio=0.5,
        tie_word_embeddings=False)
    model = transformers.InternVLForConditionalGeneration._from_config(config, dtype=torch.float32,
                                                                      attn_implementation="eager").eval()
    randomize(model)
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    return model


def hf_forward(model, ids, mask, pixel_values, labels):
    out = model(input_ids=ids, attention_mask=mask, position_ids=text.positions(mask), pixel_values=pixel_values,
                labels=labels)
    return out.logits.float(), float(out.loss)


def hf_greedy(model, ids, mask, pixel_values):
    out = copy.deepcopy(model).generate(input_ids=ids, attention_mask=mask, pixel_values=pixel_values,
                                        do_sample=False, max_new_tokens=text.NEW_TOKENS, output_scores=True,
                                        return_dict_in_generate=True)
    return kept_until_eos(out.sequences[:, ids.shape[1]:].tolist(), out.scores)


def make_hf(folder):
    model = hf_model()
    model.save_pretrained(folder)
    return model, hf_forward, hf_greedy, "model.language_model."


# --- the chat (remote code) format ---------------------------------------------------------------------------------

def stand_ins():
    """Inert modules for the remote code's imports that this run never uses (see the docstring)."""
    timm = types.ModuleType("timm")
    timm.models = types.ModuleType("timm.models")
    timm.models.layers = types.ModuleType("timm.models.layers")

    class DropPath(torch.nn.Module):
        def __init__(self, rate=0.0):
            super().__init__()
            assert rate == 0.0, "the stand-in DropPath only serves drop_path_rate 0"

        def forward(self, x):
            return x

    timm.models.layers.DropPath = DropPath
    einops = types.ModuleType("einops")

    def rearrange(*args, **kwargs):
        raise AssertionError("einops is only used on the flash-attention path")

    einops.rearrange = rearrange
    peft = types.ModuleType("peft")

    def unused(*args, **kwargs):
        raise AssertionError("the remote code's own LoRA wrappers are not used")

    peft.LoraConfig = peft.get_peft_model = unused
    try:
        import einops as real  # InternLM2's eager attention uses it (Debian: python3-einops)
        einops = real
    except ImportError:
        pass
    for name, module in {"timm": timm, "timm.models": timm.models, "timm.models.layers": timm.models.layers,
                         "einops": einops, "peft": peft}.items():
        sys.modules.setdefault(name, module)


# chat cases: InternViT-6B's kind of tower (RMSNorm, q/k norms) with Qwen2, as InternVL2.5/3 over Qwen; and
# InternViT-300M's kind (LayerNorm, q/k/v biases) with InternLM2 and ps_version v1, as Mini-InternVL-Chat-2B-V1-5
CHAT = {
    "internvl-chat": dict(
        vision=dict(qk_normalization=True, norm_type="rms_norm", qkv_bias=False),
        llm=dict(TEXT, architectures=["Qwen2ForCausalLM"], model_type="qwen2"), ps_version="v2",
        linears=text.LINEARS),
    "internvl-chat-internlm2": dict(
        vision=dict(qk_normalization=False, norm_type="layer_norm", qkv_bias=True),
        llm=dict(TEXT, architectures=["InternLM2ForCausalLM"], model_type="internlm2", bias=False,
                 attn_implementation="eager", rope_scaling=None), ps_version="v1",
        linears=("wqkv", "wo", "w1", "w2", "w3")),
}


def chat_model(remote, case):
    stand_ins()
    if remote not in sys.path:
        sys.path.insert(0, remote)
    from internvl.model.internvl_chat import InternVLChatConfig, InternVLChatModel
    torch.manual_seed(text.SEED)
    config = InternVLChatConfig(
        vision_config=dict(VISION, **case["vision"], architectures=["InternVisionModel"], use_flash_attn=False,
                           drop_path_rate=0.0),
        llm_config=dict(case["llm"]),
        select_layer=-1, force_image_size=IMAGE_SIZE, downsample_ratio=0.5, template="internvl2_5",
        ps_version=case["ps_version"], dynamic_image_size=True, use_thumbnail=True, min_dynamic_patch=1,
        max_dynamic_patch=6)
    if case["llm"]["model_type"] == "internlm2":
        # transformers 5 fills rope_scaling with its own rope_parameters, which InternLM2's code reads as a
        # scaling of a 'type' it lacks: none is meant
        config.llm_config.rope_scaling = None
    config.architectures = ["InternVLChatModel"]
    model = InternVLChatModel(config, use_flash_attn=False).float().eval()
    model.img_context_token_id = IMG_CONTEXT
    randomize(model)
    if getattr(model.language_model, "generation_config", None) is not None:
        model.language_model.generation_config.eos_token_id = 2
        model.language_model.generation_config.pad_token_id = 0
    return model


def chat_forward(model, ids, mask, pixel_values, labels):
    flags = torch.ones(pixel_values.shape[0], 1, dtype=torch.long)
    out = model(pixel_values=pixel_values, input_ids=ids, attention_mask=mask, position_ids=text.positions(mask),
                image_flags=flags, labels=labels, return_dict=True)
    return out.logits.float(), float(out.loss)


def chat_greedy(model, ids, mask, pixel_values):
    if getattr(model.language_model, "generation_config", None) is None:
        return chat_greedy_uncached(model, ids, mask, pixel_values)
    out = copy.deepcopy(model).generate(pixel_values=pixel_values, input_ids=ids, attention_mask=mask,
                                        do_sample=False, max_new_tokens=text.NEW_TOKENS, output_scores=True,
                                        return_dict_in_generate=True, eos_token_id=2, pad_token_id=0)
    return kept_until_eos(out.sequences.tolist(), out.scores)  # generated from embeddings: only the new tokens


def chat_greedy_uncached(model, ids, mask, pixel_values):
    """Greedy tokens by the model's own forward over the whole sequence at each step: InternLM2's remote code has
    no generation support under transformers 5."""
    rows = [[] for _ in range(ids.shape[0])]
    done = [False] * ids.shape[0]
    margin = float("inf")
    flags = torch.ones(pixel_values.shape[0], 1, dtype=torch.long)
    for _ in range(text.NEW_TOKENS):
        logits = model(pixel_values=pixel_values, input_ids=ids, attention_mask=mask,
                       position_ids=text.positions(mask), image_flags=flags, return_dict=True).logits[:, -1].float()
        tokens = logits.argmax(-1)
        for b in range(ids.shape[0]):
            if not done[b]:
                top = torch.topk(logits[b], 2).values
                margin = min(margin, float(top[0] - top[1]))
                rows[b].append(int(tokens[b]))
                done[b] = int(tokens[b]) == 2
        if all(done):
            break
        ids = torch.cat([ids, tokens.unsqueeze(1)], dim=1)
        mask = torch.cat([mask, torch.ones(mask.shape[0], 1, dtype=mask.dtype)], dim=1)
    return rows, margin


def make_chat(folder, remote, case):
    model = chat_model(remote, case)
    # transformers 5's save_pretrained builds a default InternVLChatConfig, which that config refuses: the weights
    # and config are written as save_pretrained would write them
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(folder, "model.safetensors"),
              metadata={"format": "pt"})
    saved = model.config.to_dict()
    saved["model_type"] = "internvl_chat"
    saved["architectures"] = ["InternVLChatModel"]
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(saved, f, indent=2)
    # the tokenizer's added tokens, where the chat format's <IMG_CONTEXT> id is found (the tokenizer itself is not
    # needed here), and the generation config the Hub's repositories ship
    with open(os.path.join(folder, "added_tokens.json"), "w") as f:
        json.dump({"<img>": IMG_START, "</img>": IMG_END, "<IMG_CONTEXT>": IMG_CONTEXT}, f, indent=2)
    with open(os.path.join(folder, "generation_config.json"), "w") as f:
        json.dump(dict(bos_token_id=1, eos_token_id=2, pad_token_id=0), f, indent=2)
    return model, chat_forward, chat_greedy, "language_model."


def make(name, out_dir, remote):
    folder = os.path.join(out_dir, name)
    if name == "internvl-hf":
        model, forward, greedy, llm_prefix = make_hf(folder)
        linears = text.LINEARS
    else:
        model, forward, greedy, llm_prefix = make_chat(folder, remote, CHAT[name])
        linears = CHAT[name]["linears"]
    pixel_values = pixels()
    save_file({"pixel_values": pixel_values.contiguous()}, os.path.join(folder, "inputs.safetensors"),
              metadata={"format": "pt"})
    ids, mask = batch()
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="pixel_values are in inputs.safetensors, the tiles of each image in placeholder order",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), labels=labels.tolist(), tiles=TILES,
               image_rows=[0, 0, 1])
    with torch.no_grad():
        logits, loss = forward(model, ids, mask, pixel_values, labels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        tokens, margin = greedy(model, ids, mask, pixel_values)
        ref["greedy"] = dict(max_new_tokens=text.NEW_TOKENS, eos_token_id=2, tokens=tokens, min_top2_gap=margin)
        merged, adapted = lora_adapter(model, os.path.join(folder, "adapter"), llm_prefix, linears)
        lora_logits, lora_loss = forward(merged, ids, mask, pixel_values, labels)
        ref["lora"] = dict(folder="adapter", modules=adapted,
                           logits=dict(shape=list(lora_logits.shape), values=lora_logits.tolist()), loss=lora_loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    out = sys.argv[1]
    remote = sys.argv[2]
    only = set(sys.argv[3:])
    torch.set_num_threads(1)
    for case in ("internvl-hf", *CHAT):
        if not only or case in only:
            make(case, out, remote)
