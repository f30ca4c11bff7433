#!/usr/bin/env python3
"""Reference fixtures for families whose modelling code is remote code on the Hub (transformers does not ship
it): the family's own published files run on a tiny config, and the checkpoint is what their save_pretrained
writes, in the family's own names.

The remote files are never part of this repository: save them under REMOTE_DIR (e.g. /tmp/remote), one Python
package per family, each with an empty __init__.py:
  - mimo/: configuration_mimo.py and modeling_mimo.py of XiaomiMiMo/MiMo-7B-RL (MiMoForCausalLM: Qwen2's
    decoder, with num_nextn_predict_layers multi-token-prediction layers under model.mtp_layers that the causal
    LM's forward never runs; they are in the checkpoint and stay unused).
  - baichuan13/: configuration_baichuan.py, generation_utils.py and modeling_baichuan.py of
    baichuan-inc/Baichuan2-13B-Chat (BaichuanForCausalLM with ALiBi, W_pack and NormHead). Its code predates
    transformers' cache classes, so its greedy tokens are computed here by re-running its forward on the grown
    sequence (ALiBi has no positions: the left padding changes nothing).
  - minicpm4/: configuration_minicpm.py and modeling_minicpm.py of openbmb/MiniCPM4-8B (MiniCPMForCausalLM:
    embeddings times scale_emb, each block's output times scale_depth / sqrt(num_hidden_layers), the final hidden
    state divided by hidden_size / dim_model_base before the head, and its LongRoPE), run with eager attention,
    where its InfLLM v2 sparse attention (flash-attn only, beyond sparse_config's dense_len) is not used.
  - minicpm2/: the same two files of openbmb/MiniCPM-2B-sft-fp32 (no LongRoPE), on an untied head.

The outputs are those of make-reference-fixtures.py (logits of a left-padded batch with position ids that count
the real tokens, loss, greedy tokens batched and row by row with the KV cache, a LoRA adapter's logits):

    chroot /srv/sid python3 tools/make-remote-code-fixtures.py REMOTE_DIR OUT_DIR [mimo ...]
"""
import importlib
import importlib.util
import json
import os
import sys
import types

import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)


def remote(package, module):
    """REMOTE_DIR/package/module.py, imported as a package so that its relative imports resolve."""
    return importlib.import_module(f"{package}.{module}")


def remote_flat(package, *modules):
    """REMOTE_DIR/package's modules that import each other by bare name (the MiniCPM copies do:
    'from configuration_minicpm import ...'), each package's under its own names."""
    folder = os.path.join(sys.path[0], package)
    sys.path.insert(0, folder)
    try:
        for name in modules:
            sys.modules.pop(name, None)
        return [importlib.import_module(name) for name in modules]
    finally:
        sys.path.remove(folder)
        for name in modules:
            sys.modules.pop(name, None)


def transformers4_names():
    """A name transformers 5 dropped that MiniCPM's code imports (it only guards torch.fx tracing)."""
    import transformers.utils.import_utils as import_utils
    if not hasattr(import_utils, "is_torch_fx_available"):
        import_utils.is_torch_fx_available = lambda: False


def tied_as_transformers5(model_class):
    """transformers 5 reads _tied_weights_keys as {tied: source}; MiniCPM's code lists the tied name (4.x)."""
    model_class._tied_weights_keys = {"lm_head.weight": "model.embed_tokens.weight"}
    return model_class


def mimo():
    config_module, modeling = remote("mimo", "configuration_mimo"), remote("mimo", "modeling_mimo")
    kwargs = dict(fx.TINY)
    kwargs.update(rope_theta=640000.0, num_nextn_predict_layers=1)
    config = config_module.MiMoConfig(**kwargs)
    config.architectures = ["MiMoForCausalLM"]
    config._attn_implementation = "eager"
    return modeling.MiMoForCausalLM(config), ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "down_proj"], "mtp_layers"


def stand_in(name, *attrs):
    """A module for an import the remote code makes but never uses on this path: calling it fails."""
    module = types.ModuleType(name)
    def unused(*args, **kwargs):
        raise AssertionError(f"{name} was used")
    for attr in attrs:
        setattr(module, attr, unused)
    sys.modules.setdefault(name, module)


def baichuan13():
    stand_in("accelerate", "init_empty_weights")  # only its 4-bit loading path uses it
    config_module, modeling = remote("baichuan13", "configuration_baichuan"), remote("baichuan13", "modeling_baichuan")
    t = fx.TINY
    config = config_module.BaichuanConfig(
        vocab_size=t["vocab_size"], hidden_size=t["hidden_size"], intermediate_size=t["intermediate_size"],
        num_hidden_layers=t["num_hidden_layers"], num_attention_heads=6, model_max_length=64,
        rms_norm_eps=t["rms_norm_eps"], tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    config.hidden_size = 48  # six heads of 8: not a power of two, so ALiBi's interleaved slopes are used
    config.architectures = ["BaichuanForCausalLM"]
    return modeling.BaichuanForCausalLM(config), ["W_pack", "o_proj", "gate_proj", "down_proj"], None


# hidden 32: the head input divided by 4 (a scale_emb as large as the released 12 makes these tiny tied models repeat
# their last token)
MINICPM = dict(scale_emb=2.5, dim_model_base=8, scale_depth=1.4)


def minicpm4():
    transformers4_names()
    config_module, modeling = remote_flat("minicpm4", "configuration_minicpm", "modeling_minicpm")
    kwargs = dict(fx.TINY)
    half = 4  # head_dim 8: four frequencies
    # max_position_embeddings 64 over original 32: LongRoPE's long factors and its scale sqrt(1 + ln 2 / ln 32)
    kwargs.update(tie_word_embeddings=True, rope_theta=10000.0, rope_scaling=dict(
        rope_type="longrope", long_factor=[1.0, 1.5, 2.5, 4.0][:half], short_factor=[1.0, 1.1, 1.2, 1.3][:half],
        original_max_position_embeddings=32), **MINICPM)
    config = config_module.MiniCPMConfig(**kwargs)
    config.architectures = ["MiniCPMForCausalLM"]
    config._attn_implementation = "eager"
    config.use_cache = False  # its cache needs a transformers 4 Cache; the greedy tokens here re-run the forward
    return tied_as_transformers5(modeling.MiniCPMForCausalLM)(config), ["q_proj", "k_proj", "v_proj", "o_proj",
                                                                        "up_proj", "down_proj"], None


def minicpm2():
    transformers4_names()
    config_module, modeling = remote_flat("minicpm2", "configuration_minicpm", "modeling_minicpm")
    kwargs = dict(fx.TINY)
    kwargs.update(num_key_value_heads=fx.TINY["num_attention_heads"], tie_word_embeddings=False, **MINICPM)
    config = config_module.MiniCPMConfig(**kwargs)
    config.rope_scaling = None  # transformers 5 fills in a default rope dict; MiniCPM-2B's code reads None as plain
    config.architectures = ["MiniCPMForCausalLM"]
    config._attn_implementation = "eager"
    config.use_cache = False  # its cache needs a transformers 4 Cache; the greedy tokens here re-run the forward
    return tied_as_transformers5(modeling.MiniCPMForCausalLM)(config), ["q_proj", "v_proj", "gate_proj"], None


# name -> builder returning (model, LoRA target modules, part of the names LoRA leaves out or None)
# cases whose config.json is written as the released ones are (rope_theta and rope_scaling, not transformers 5's
# rope_parameters)
RELEASED_ROPE_FIELDS = {"minicpm4", "minicpm2"}

CASES = {"mimo": mimo, "baichuan2-13b": baichuan13, "minicpm4": minicpm4, "minicpm2": minicpm2}
USE_GENERATE = {"mimo"}  # the others: greedy by their forward (greedy_forward)


def greedy_forward(model, ids, mask):
    """Greedy tokens of each row by re-running the model's forward on the grown sequence (no cache; position ids that
    count the real tokens), cut after EOS, with the smallest top-1/top-2 gap met on the way."""
    rows, margin = [], float("inf")
    for b in range(ids.shape[0]):
        seq, row_mask, kept = ids[b:b + 1], mask[b:b + 1], []
        for _ in range(fx.NEW_TOKENS):
            scores = model(input_ids=seq, attention_mask=row_mask,
                           position_ids=fx.positions(row_mask)).logits[0, -1].float()
            top = torch.topk(scores, 2).values
            margin = min(margin, float(top[0] - top[1]))
            token = int(scores.argmax())
            kept.append(token)
            if token == 2:
                break
            seq = torch.cat([seq, torch.tensor([[token]])], 1)
            row_mask = torch.cat([row_mask, torch.ones(1, 1, dtype=row_mask.dtype)], 1)
        rows.append(kept)
    return rows, margin


def record(name, model, lora, skip, out_dir):
    torch.manual_seed(fx.SEED)
    model = model.to(torch.float32).eval()
    fx.randomize(model, name)
    folder = os.path.join(out_dir, name)
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.eos_token_id = 2
        model.generation_config.pad_token_id = 0
        model.generation_config.bos_token_id = 1
    model.save_pretrained(folder)
    if name in RELEASED_ROPE_FIELDS:
        path = os.path.join(folder, "config.json")
        with open(path) as f:
            config = json.load(f)
        rope = config.pop("rope_parameters", None)
        config["rope_scaling"] = {k: v for k, v in rope.items() if k != "rope_theta"} if rope else None
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
    if not os.path.exists(os.path.join(folder, "generation_config.json")):  # a model without generate()
        with open(os.path.join(folder, "generation_config.json"), "w") as f:
            json.dump(dict(bos_token_id=1, eos_token_id=2, pad_token_id=0), f, indent=2)

    ids = torch.tensor(fx.INPUT_IDS)
    mask = (torch.arange(ids.shape[1]) >= (ids == 0).sum(-1, keepdim=True)).long()
    labels = ids.masked_fill(mask == 0, -100).masked_fill(fx.positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note=f"computed by the family's own remote code ({type(model).__module__}.{type(model).__name__},"
                    " tools/make-remote-code-fixtures.py); position ids count the real tokens of each row",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), position_ids=fx.positions(mask).tolist(),
               labels=labels.tolist())
    with torch.no_grad():
        logits, loss = fx.forward(model, ids, mask, labels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        if name in USE_GENERATE:
            tokens, margin = fx.greedy(model, ids, mask)
            alone = []
            for b in range(ids.shape[0]):
                row, row_margin = fx.greedy_cached(model, ids[b][mask[b] == 1].unsqueeze(0))
                alone.append(row)
                margin = min(margin, row_margin)
        else:
            tokens, margin = greedy_forward(model, ids, mask)
            alone = [greedy_forward(model, ids[b][mask[b] == 1].unsqueeze(0),
                                    torch.ones(1, int(mask[b].sum()), dtype=mask.dtype))[0][0]
                     for b in range(ids.shape[0])]
        ref["greedy"] = dict(max_new_tokens=fx.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             min_top2_gap=margin)
        # transformers 5 drops a config's gradient_checkpointing once a model is built; Baichuan's code reads it
        model.config.__dict__.setdefault("gradient_checkpointing", False)
        merged, adapted = fx.lora_adapter(model, lora, False, os.path.join(folder, "adapter"), skip=skip)
        lora_logits, lora_loss = fx.forward(merged, ids, mask, labels)
        ref["lora"] = dict(folder="adapter", modules=sorted(adapted),
                           logits=dict(shape=list(lora_logits.shape), values=lora_logits.tolist()), loss=lora_loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.abspath(sys.argv[1]))
    out = sys.argv[2] if len(sys.argv) > 2 else "reference-fixtures"
    only = set(sys.argv[3:])
    torch.set_num_threads(1)
    for case, build in CASES.items():
        if not only or case in only:
            record(case, *build(), out)
