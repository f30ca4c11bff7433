#!/usr/bin/env python3
"""Reference fixtures for mixture-of-experts models whose modelling code is remote code that transformers does not
ship, computed by that published code itself:

- inclusionAI's Ling (model_type "bailing_moe"): BailingMoeForCausalLM (Ling-lite/plus; modeling_bailing_moe.py and
  configuration_bailing_moe.py of github.com/inclusionAI/Ling, models/) and BailingMoeV2ForCausalLM (Ling-mini-2.0,
  Ling-1T, Ring-mini-2.0; modeling_bailing_moe_v2.py and configuration_bailing_moe_v2.py of
  github.com/inclusionAI/Ling-V2, models/);
- DeepSeek's first MoE (model_type "deepseek", DeepseekForCausalLM: deepseek-moe-16b): the Hub repo's
  modeling_deepseek.py, as github.com/zhexiangzhang/ServerlessMOE (first commit) keeps a copy, with that copy's
  timing lines (torch.cuda.Event records, a measurements file) removed. Its configuration class only stores the
  fields it is given, so the script supplies such a holder (DeepseekConfig, below).

Give the folders holding those files (they are not part of this project). Written for transformers 4.x, the code
needs these shims under transformers 5:
is_torch_fx_available (gone; False), is_torch_greater_or_equal_than_1_13 (gone; True) and the "default" rope
initialiser V2 looks up (gone from ROPE_INIT_FUNCTIONS; transformers 4's definition: inverse frequencies
1 / theta^(2i / dim) over head_dim · partial_rotary_factor features, attention scaling 1); and V1's unscaled
rope_scaling must stay None, which transformers 5 fills with a default-rope dict.

Greedy tokens come from the models' own forward on the whole sequence each step (no generate(), whose cache API the
remote code predates); the logits, loss, LoRA adapter and the rest follow make-reference-fixtures.py.

    chroot /srv/sid python3 tools/make-remote-moe-fixtures.py OUT_DIR LING_DIR LING_V2_DIR DEEPSEEK_MOE_DIR [case ...]
"""
import importlib
import importlib.util
import json
import os
import sys

import torch
import torch.nn.functional as F
import transformers
import transformers.modeling_rope_utils as rope_utils
import transformers.pytorch_utils as pytorch_utils
import transformers.utils.import_utils as import_utils
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)

import_utils.is_torch_fx_available = lambda: False
if not hasattr(pytorch_utils, "is_torch_greater_or_equal_than_1_13"):
    pytorch_utils.is_torch_greater_or_equal_than_1_13 = True


def default_rope(config, device=None, seq_len=None):
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    dim = int(head_dim * getattr(config, "partial_rotary_factor", 1.0))
    return 1.0 / (config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)), 1.0


rope_utils.ROPE_INIT_FUNCTIONS.setdefault("default", default_rope)

TINY = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2,
            pad_token_id=0, tie_word_embeddings=False, rope_theta=600000.0, embedding_dropout=0.0,
            attention_dropout=0.0, output_dropout=0.0, hidden_act="silu", initializer_range=0.02, use_cache=True)
LORA = {"v1": ["query_key_value", "dense", "gate_proj", "up_proj", "down_proj"],
        "v2": ["query_key_value", "dense", "gate_proj", "up_proj", "down_proj"],
        "deepseek": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}
MODEL_TYPES = {"v1": "bailing_moe", "v2": "bailing_moe", "deepseek": "deepseek"}

# name -> (version, config overrides)
CASES = {
    # V1: fused q/k/v with biases, a bias on dense, softmax top-2 renormalised, a dense first layer, a shared expert
    "ling": ("v1", dict(num_experts=4, num_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=16,
                        first_k_dense_replace=1, norm_topk_prob=True, use_qkv_bias=True, use_bias=True)),
    # V2: per-head q/k norms, rotary over half of each head, sigmoid router with expert_bias and groups,
    # routed_scaling_factor, a dense first layer, a shared expert
    "bailing-moe-v2": ("v2", dict(head_dim=8, num_experts=8, n_group=4, topk_group=2, num_experts_per_tok=2,
                                  num_shared_experts=1, moe_intermediate_size=16, first_k_dense_replace=1,
                                  use_qk_norm=True, partial_rotary_factor=0.5, routed_scaling_factor=2.5,
                                  use_qkv_bias=False, use_bias=False)),
    # DeepSeek V1: Llama's attention; dense layers before first_k_dense_replace and off moe_layer_freq, then a
    # softmax router whose top 3 are renormalised, and two shared experts fused into one MLP
    "deepseek-moe": ("deepseek", dict(n_routed_experts=8, n_shared_experts=2, num_experts_per_tok=3,
                                      moe_intermediate_size=16, num_hidden_layers=4, first_k_dense_replace=1,
                                      moe_layer_freq=2, norm_topk_prob=True, scoring_func="softmax",
                                      aux_loss_alpha=0.001, seq_aux=True, attention_bias=False, pretraining_tp=1,
                                      rope_theta=10000.0, rope_scaling=None)),
}
SAVED_NOT = {"rope_parameters", "output_hidden_states", "return_dict", "dtype", "chunk_size_feed_forward",
             "is_encoder_decoder", "id2label", "label2id", "problem_type", "_name_or_path", "output_attentions",
             "_attn_implementation_internal", "transformers_version"}
NAMES = {"v1": ("modeling_bailing_moe", "configuration_bailing_moe", "BailingMoeConfig", "BailingMoeForCausalLM"),
         "v2": ("modeling_bailing_moe_v2", "configuration_bailing_moe_v2", "BailingMoeV2Config",
                "BailingMoeV2ForCausalLM"),
         "deepseek": ("modeling_deepseek", "configuration_deepseek", "DeepseekConfig", "DeepseekForCausalLM")}


class DeepseekConfig(transformers.PretrainedConfig):
    """deepseek-moe's configuration: the fields it is given, as attributes."""
    model_type = "deepseek"

    def __init__(self, **fields):
        special = {k: fields.pop(k) for k in ("pad_token_id", "bos_token_id", "eos_token_id", "tie_word_embeddings")
                   if k in fields}
        for k, v in fields.items():
            setattr(self, k, v)
        super().__init__(**special)


def load(version, folder):
    """The published configuration and modelling modules, the relative import made absolute."""
    modeling, configuration, config_class, model_class = NAMES[version]
    sys.path.insert(0, folder)
    if version == "deepseek":
        config_module = type(sys)(configuration)
        config_module.DeepseekConfig = DeepseekConfig
        sys.modules[configuration] = config_module
    else:
        config_module = importlib.import_module(configuration)
    with open(os.path.join(folder, modeling + ".py")) as f:
        source = f.read().replace("from ." + configuration, "from " + configuration)
    module = type(sys)(modeling + "_" + version)
    exec(compile(source, os.path.join(folder, modeling + ".py"), "exec"), module.__dict__)
    return getattr(config_module, config_class), getattr(module, model_class)


def loss_of(logits, labels):
    """transformers' causal-LM loss: the mean cross-entropy of each next token whose label is not -100."""
    return float(F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1),
                                 ignore_index=-100))


def greedy(model, ids, mask):
    """Greedy tokens per row, the model run on the whole sequence each step; cut after EOS; the smallest top-2 gap."""
    rows = [[] for _ in range(ids.shape[0])]
    done = [False] * ids.shape[0]
    margin = float("inf")
    for _ in range(fx.NEW_TOKENS):
        logits = model(input_ids=ids, attention_mask=mask, position_ids=fx.positions(mask), use_cache=False).logits
        scores = logits[:, -1].float()
        token = scores.argmax(-1)
        for b in range(ids.shape[0]):
            if not done[b]:
                top = torch.topk(scores[b], 2).values
                margin = min(margin, float(top[0] - top[1]))
                rows[b].append(int(token[b]))
                done[b] = int(token[b]) == 2
        ids = torch.cat([ids, token[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
    return rows, margin


def make(name, version, overrides, folder, out_dir):
    config_class, model_class = load(version, folder)
    torch.manual_seed(fx.SEED)
    kwargs = dict(TINY)
    kwargs.update(overrides)
    config = config_class(**kwargs)
    config._attn_implementation = "eager"
    if version in ("v1", "deepseek"):
        # transformers 5 turns a missing rope_scaling into {"rope_type": "default", ...}; these read None as unscaled
        config.rope_scaling = None
    model = model_class(config).eval()
    fx.randomize(model, MODEL_TYPES[version])
    g = torch.Generator().manual_seed(fx.SEED + 3)
    with torch.no_grad():
        for buffer_name, b in model.named_buffers():
            if buffer_name.endswith("expert_bias"):  # V2's correction bias, a buffer the checkpoint stores
                b.copy_(0.3 * torch.randn(b.shape, generator=g))
    target = os.path.join(out_dir, name)
    os.makedirs(target, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if "rotary_emb" not in k}
    save_file(state, os.path.join(target, "model.safetensors"), metadata={"format": "pt"})
    # the fields the published config.json files have: rope_theta, partial_rotary_factor and rope_scaling null at
    # the top, not transformers 5's rope_parameters
    saved = {k: v for k, v in config.to_dict().items() if k not in SAVED_NOT}
    saved.update(architectures=[NAMES[version][3]], model_type=MODEL_TYPES[version], torch_dtype="float32",
                 rope_scaling=None)
    with open(os.path.join(target, "config.json"), "w") as f:
        json.dump(saved, f, indent=2, default=str)
    with open(os.path.join(target, "generation_config.json"), "w") as f:
        json.dump(dict(bos_token_id=1, eos_token_id=2, pad_token_id=0), f, indent=2)

    ids = torch.tensor(fx.INPUT_IDS)
    mask = (torch.arange(ids.shape[1]) >= (ids == 0).sum(-1, keepdim=True)).long()
    labels = ids.masked_fill(mask == 0, -100).masked_fill(fx.positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note=f"computed by {NAMES[version][3]}'s published remote code (tools/make-remote-moe-fixtures.py);"
                    " position ids count the real tokens of each row",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), position_ids=fx.positions(mask).tolist(),
               labels=labels.tolist())
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, position_ids=fx.positions(mask), use_cache=False).logits
        ref["logits"] = dict(shape=list(logits.shape), values=logits.float().tolist())
        ref["loss"] = loss_of(logits, labels)
        tokens, margin = greedy(model, ids, mask)
        alone = []
        for b in range(ids.shape[0]):
            real = ids[b][mask[b] == 1].unsqueeze(0)
            row, row_margin = greedy(model, real, torch.ones_like(real))
            alone.append(row[0])
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=fx.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             min_top2_gap=margin)
        merged, adapted = fx.lora_adapter(model, LORA[version], False, os.path.join(target, "adapter"))
        lora_logits = merged(input_ids=ids, attention_mask=mask, position_ids=fx.positions(mask),
                             use_cache=False).logits
        ref["lora"] = dict(folder="adapter", modules=sorted(adapted),
                           logits=dict(shape=list(lora_logits.shape), values=lora_logits.float().tolist()),
                           loss=loss_of(lora_logits, labels))
    with open(os.path.join(target, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"{name}: loss {ref['loss']:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


if __name__ == "__main__":
    out = sys.argv[1]
    folders = dict(zip(("v1", "v2", "deepseek"), sys.argv[2:5]))
    only = set(sys.argv[5:])
    torch.set_num_threads(1)
    for case, (version, over) in CASES.items():
        if not only or case in only:
            make(case, version, over, folders[version], out)
