#!/usr/bin/env python3
"""Reference fixtures for remote-code families whose math is a transformers class on the same weights in other
names or packings: the reference outputs come from that transformers class (the functions of
make-reference-fixtures.py), and the checkpoint, config.json and LoRA adapter are written in the family's own
layout.

  - chatglm: ChatGLM2/3 and GLM-4-9B (ChatGLMModel / ChatGLMForConditionalGeneration, model_type "chatglm") are
    transformers' GlmForCausalLM, which is their port (transformers' models/glm/convert_glm_weights_to_hf.py
    converts THUDM/glm-4-9b): q, k and v from one query_key_value (rows [q heads; k groups; v groups], with a
    bias: add_qkv_bias), grouped-query attention over multi_query_group_num key/value heads of kv_channels,
    GLM's interleaved rotary embedding over the first half of each head with base 10000 · rope_ratio, RMSNorm,
    the SwiGLU silu(x0) * x1 of dense_h_to_4h's two halves (transformers' gate_up_proj) and dense_4h_to_h, no
    biases elsewhere (add_bias_linear false). Names:
        model.embed_tokens            -> transformer.embedding.word_embeddings
        model.layers.N                -> transformer.encoder.layers.N
        self_attn.{q,k,v}_proj        -> self_attention.query_key_value (rows concatenated)
        self_attn.o_proj              -> self_attention.dense
        mlp.gate_up_proj / down_proj  -> mlp.dense_h_to_4h / dense_4h_to_h
        model.norm                    -> transformer.encoder.final_layernorm
        lm_head                       -> transformer.output_layer
    ChatGLM3-6B's own modeling_chatglm.py is run on the written checkpoint as a check (chatglm_check).
  - telechat: TeleChat (TelechatForCausalLM; TeleChat2-115B's modeling_telechat.py, Tele-AI/TeleChat2 model/115B) is
    LlamaForCausalLM with a bias on o_proj and down_proj only (transformers' q/k/v/gate/up biases are zeroed here
    and not stored), its rotary base 10000 · ntk_alpha^(d / (d - 2)) (telechat_base), names
        model.embed_tokens / norm     -> transformer.word_embeddings / ln_f
        model.layers.N                -> transformer.h.N
        self_attn.q_proj              -> self_attention.query
        self_attn.{k,v}_proj          -> self_attention.key_value, [k head h; v head h] per key/value head
        self_attn.o_proj              -> self_attention.dense
    and its own code is run on the written checkpoint as a check (telechat_check).
  - baichuan-7b: Baichuan-7B (BaiChuanForCausalLM) is LlamaForCausalLM (multi-head) with q, k and v in one
    self_attn.W_pack (rows [q; k; v]), every other name Llama's; its own code is run as a check (baichuan7_check).
  - iquestcoder: IQuest-Coder-V1 (IQuestCoderForCausalLM) is LlamaForCausalLM under Llama's names (see FAMILIES).

The LoRA adapter targets the family's names and is drawn in its layout; its merged delta is split back into the
transformers model's weights (by rows, for a fused projection) for the reference logits.

    chroot /srv/sid python3 tools/make-rearranged-fixtures.py REMOTE_DIR OUT_DIR [chatglm|telechat|baichuan-7b|iquestcoder ...]
"""
import copy
import importlib.util
import json
import math
import os
import sys
import types

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "make-reference-fixtures.py"))
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)


def concat(pieces):
    """Rows of the pieces one after another."""
    return torch.cat(pieces, 0)


def per_head(head_dim):
    """[a head 0; b head 0; a head 1; b head 1; ...]: TeleChat's key_value, k and v interleaved per key/value head."""
    def pack(pieces):
        a, b = pieces
        heads = a.shape[0] // head_dim
        rest = a.shape[1:]
        return torch.stack([a.reshape(heads, head_dim, *rest), b.reshape(heads, head_dim, *rest)], 1).reshape(
            2 * a.shape[0], *rest)
    return pack


class Family:
    """How one family names and packs transformers' weights.

    layer_map: family name under the family's layer prefix -> the transformers names under model.layers.N packed
    into it (by packer, rows concatenated unless given: (names, packer)). zeroed: transformers biases the family
    lacks, set to zero in the reference model and not stored. check: runs the family's own remote code on the
    written folder, if given."""

    def __init__(self, model_type, overrides, top, layers, layer_map, config, lora, extra=None, zeroed=(),
                 check=None):
        self.model_type, self.overrides, self.top, self.layers = model_type, overrides, top, layers
        self.layer_map = {k: v if isinstance(v, tuple) else (v, concat) for k, v in layer_map.items()}
        self.config, self.lora, self.extra, self.zeroed, self.check = config, lora, extra or {}, zeroed, check

    def to_family(self, state, n_layers):
        out = dict(self.extra)
        for hf, fam in self.top.items():
            out[fam] = state[hf]
        for i in range(n_layers):
            src, dst = f"model.layers.{i}.", f"{self.layers}.{i}."
            for fam, (parts, pack) in self.layer_map.items():
                for part in ("weight", "bias"):
                    pieces = [None if f"{p}.{part}" in self.zeroed else state.get(f"{src}{p}.{part}") for p in parts]
                    if all(p is not None for p in pieces):
                        out[f"{dst}{fam}.{part}"] = pack(pieces)
                    elif any(p is not None for p in pieces):
                        raise ValueError(f"{fam}.{part}: only some of {parts} have one")
        return {k: v.contiguous() for k, v in out.items()}


CHATGLM_TINY = dict(head_dim=16, num_key_value_heads=2, attention_bias=True, partial_rotary_factor=0.5,
                    rope_parameters=fx.rope("default", 10000.0 * 2.0))
def telechat_base(base, head_dim, training_seqlen, base_seqlen):
    """TeleChat's RotaryEmbedding: up to training_seqlen tokens, the base times ntk_alpha^(d / (d - 2)), ntk_alpha =
    max(2^ceil(log2(training_seqlen / base_seqlen) + 1) - 1, 1)."""
    alpha = max(2 ** math.ceil(math.log(training_seqlen / base_seqlen, 2) + 1) - 1, 1)
    return base * alpha ** (head_dim / (head_dim - 2))


TELECHAT_SEQLEN = dict(training_seqlen=64, base_seqlen=16)  # ntk_alpha 7 at every length of these tests


def telechat_check(model, folder, ids, mask):
    """TeleChat2-115B's own modeling_telechat.py (Tele-AI/TeleChat2, model/115B; remote/telechat/) on the written
    checkpoint, each row alone (its code counts positions from the first token, padding included, so rows are
    compared unpadded): its cos/sin tables are float16, so the logits agree to about 1e-3, not 1e-5."""
    sys.path.insert(0, REMOTE)
    # its attention asserts that flash-attn and einops import even when flash_attn is false; stand-ins that fail if
    # called show that neither is used on this path
    def unused(*args, **kwargs):
        raise AssertionError("flash-attn / einops called with flash_attn false")
    for name, attr in (("einops", "rearrange"), ("flash_attn", None), ("flash_attn.flash_attn_interface", "flash_attn_unpadded_func")):
        module = types.ModuleType(name)
        if attr:
            setattr(module, attr, unused)
        sys.modules.setdefault(name, module)
    from telechat.configuration_telechat import TelechatConfig
    from telechat.modeling_telechat import TelechatForCausalLM
    with open(os.path.join(folder, "config.json")) as f:
        config = TelechatConfig(**json.load(f))
    remote = TelechatForCausalLM(config).eval()
    missing, unexpected = remote.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    worst = 0.0
    with torch.no_grad():
        for b in range(ids.shape[0]):
            row = ids[b][mask[b] == 1].unsqueeze(0)
            theirs = remote(input_ids=row).logits.float()
            ours = model(input_ids=row).logits.float()
            worst = max(worst, float((theirs - ours).abs().max() / ours.abs().max()))
    assert worst < 5e-3, f"TeleChat's own code differs from the reference by {worst:.2e} of the logits' scale"
    print(f"  telechat: its own remote code agrees to {worst:.1e} of the logits' scale")


def chatglm_check(model, folder, ids, mask):
    """ChatGLM3-6B's own modeling_chatglm.py (THUDM/chatglm3-6b; remote/chatglm3/) on the written checkpoint, each
    row alone (its code counts positions from the first token). That version predates rope_ratio (ChatGLM3-32K's and
    GLM-4's code multiply the base by it), so it is compared with the transformers model at base 10000 on the same
    weights: the names, the packing, the half-head interleaved rotation and the grouped keys are what it checks."""
    sys.path.insert(0, REMOTE)
    from chatglm3.configuration_chatglm import ChatGLMConfig
    from chatglm3.modeling_chatglm import ChatGLMForConditionalGeneration
    with open(os.path.join(folder, "config.json")) as f:
        config = ChatGLMConfig(**json.load(f))
    config.__dict__.setdefault("max_length", config.seq_length)  # a generation default transformers 5 dropped
    remote = ChatGLMForConditionalGeneration(config, empty_init=False).eval()
    missing, unexpected = remote.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=False)
    assert not missing and not [k for k in unexpected if not k.endswith("inv_freq")], (missing, unexpected)
    plain_config = copy.deepcopy(model.config)
    plain_config.rope_parameters = fx.rope("default", 10000.0, partial_rotary_factor=0.5)
    plain = type(model)(plain_config).eval()
    plain.load_state_dict(model.state_dict())
    worst = 0.0
    with torch.no_grad():
        for b in range(ids.shape[0]):
            row = ids[b][mask[b] == 1].unsqueeze(0)
            theirs = remote(input_ids=row, use_cache=False).logits.float()
            ours = plain(input_ids=row).logits.float()
            worst = max(worst, float((theirs - ours).abs().max() / ours.abs().max()))
    assert worst < 1e-4, f"ChatGLM's own code differs from the reference by {worst:.2e} of the logits' scale"
    print(f"  chatglm: ChatGLM3's own remote code agrees to {worst:.1e} of the logits' scale")


def baichuan7_check(model, folder, ids, mask):
    """Baichuan-7B's own models/modeling_baichuan.py (baichuan-inc/Baichuan-7B; remote/baichuan7/) on the written
    checkpoint, the left-padded batch with the reference's position ids (its inference path takes them; only its
    training path uses xformers, which is stood in for)."""
    sys.path.insert(0, REMOTE)
    module = types.ModuleType("xformers")
    module.ops = types.ModuleType("xformers.ops")
    sys.modules.setdefault("xformers", module)
    sys.modules.setdefault("xformers.ops", module.ops)
    from baichuan7.configuration_baichuan import BaiChuanConfig
    from baichuan7.modeling_baichuan import BaiChuanForCausalLM
    with open(os.path.join(folder, "config.json")) as f:
        config = BaiChuanConfig(**json.load(f))
    remote = BaiChuanForCausalLM(config).eval()
    missing, unexpected = remote.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=False)
    # its rotary inv_freq is a stored buffer (Osprey's loader skips it); here it keeps the value it computes
    assert not [k for k in missing if not k.endswith("inv_freq")] and not unexpected, (missing, unexpected)
    with torch.no_grad():
        theirs = remote(input_ids=ids, attention_mask=mask, position_ids=fx.positions(mask), use_cache=False).logits
        ours = model(input_ids=ids, attention_mask=mask, position_ids=fx.positions(mask)).logits
    real = mask.bool()
    worst = float((theirs[real] - ours[real]).abs().max() / ours[real].abs().max())
    assert worst < 1e-4, f"Baichuan-7B's own code differs from the reference by {worst:.2e} of the logits' scale"
    print(f"  baichuan-7b: its own remote code agrees to {worst:.1e} of the logits' scale")


FAMILIES = {
    "chatglm": Family(
        "glm", CHATGLM_TINY,
        top={"model.embed_tokens.weight": "transformer.embedding.word_embeddings.weight",
             "model.norm.weight": "transformer.encoder.final_layernorm.weight",
             "lm_head.weight": "transformer.output_layer.weight"},
        layers="transformer.encoder.layers",
        layer_map={"input_layernorm": ["input_layernorm"],
                   "self_attention.query_key_value": ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
                   "self_attention.dense": ["self_attn.o_proj"],
                   "post_attention_layernorm": ["post_attention_layernorm"],
                   "mlp.dense_h_to_4h": ["mlp.gate_up_proj"],
                   "mlp.dense_4h_to_h": ["mlp.down_proj"]},
        config=dict(architectures=["ChatGLMModel"], model_type="chatglm", add_bias_linear=False, add_qkv_bias=True,
                    apply_query_key_layer_scaling=True, apply_residual_connection_post_layernorm=False,
                    attention_dropout=0.0, attention_softmax_in_fp32=True, bias_dropout_fusion=True,
                    ffn_hidden_size=fx.TINY["intermediate_size"], fp32_residual_connection=False, hidden_dropout=0.0,
                    hidden_size=fx.TINY["hidden_size"], kv_channels=16, layernorm_epsilon=fx.TINY["rms_norm_eps"],
                    multi_query_attention=True, multi_query_group_num=2,
                    num_attention_heads=fx.TINY["num_attention_heads"], num_layers=fx.TINY["num_hidden_layers"],
                    original_rope=True, padded_vocab_size=fx.TINY["vocab_size"], post_layer_norm=True, rmsnorm=True,
                    rope_ratio=2.0, seq_length=fx.TINY["max_position_embeddings"], tie_word_embeddings=False,
                    torch_dtype="float32", use_cache=True, eos_token_id=2, pad_token_id=0),
        lora=["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
        # the buffer ChatGLM's checkpoints carry (RotaryEmbedding(kv_channels // 2)); the loader skips it
        extra={"transformer.rotary_pos_emb.inv_freq": 1.0 / (10000 ** (torch.arange(0, 8, 2).float() / 8))},
        check=chatglm_check),
    "telechat": Family(
        "llama", dict(attention_bias=True, mlp_bias=True, rope_parameters=fx.rope(
            "default", telechat_base(10000.0, 8, **TELECHAT_SEQLEN))),
        top={"model.embed_tokens.weight": "transformer.word_embeddings.weight",
             "model.norm.weight": "transformer.ln_f.weight", "lm_head.weight": "lm_head.weight"},
        layers="transformer.h",
        layer_map={"input_layernorm": ["input_layernorm"],
                   "self_attention.query": ["self_attn.q_proj"],
                   "self_attention.key_value": (["self_attn.k_proj", "self_attn.v_proj"], per_head(8)),
                   "self_attention.dense": ["self_attn.o_proj"],
                   "post_attention_layernorm": ["post_attention_layernorm"],
                   "mlp.gate_proj": ["mlp.gate_proj"], "mlp.up_proj": ["mlp.up_proj"],
                   "mlp.down_proj": ["mlp.down_proj"]},
        zeroed=("self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias", "mlp.gate_proj.bias",
                "mlp.up_proj.bias"),
        config=dict(architectures=["TelechatForCausalLM"], model_type="telechat",
                    apply_residual_connection_post_layernorm=False, attention_dropout=0.0, hidden_dropout=0.0,
                    hidden_size=fx.TINY["hidden_size"], n_head=fx.TINY["num_attention_heads"],
                    num_key_value_heads=fx.TINY["num_key_value_heads"], n_layer=fx.TINY["num_hidden_layers"],
                    ffn_hidden_size=fx.TINY["intermediate_size"], layer_norm_epsilon=fx.TINY["rms_norm_eps"],
                    vocab_size=fx.TINY["vocab_size"], initializer_range=0.02, flash_attn=False, embed_layernorm=False,
                    tie_word_embeddings=False, seq_length=64, bos_token_id=1, eos_token_id=2, pad_token_id=0,
                    **TELECHAT_SEQLEN),
        lora=["query", "key_value", "dense", "gate_proj", "up_proj", "down_proj"],
        check=telechat_check),
    # Baichuan-7B (BaiChuanForCausalLM, model_type baichuan; vLLM's baichuan.py BaiChuanForCausalLM): Llama with
    # q, k and v in one W_pack (rows [q; k; v], no biases), multi-head attention, RoPE with base 10000
    "baichuan-7b": Family(
        "llama", dict(num_key_value_heads=fx.TINY["num_attention_heads"], rope_parameters=fx.rope("default")),
        top={"model.embed_tokens.weight": "model.embed_tokens.weight", "model.norm.weight": "model.norm.weight",
             "lm_head.weight": "lm_head.weight"},
        layers="model.layers",
        layer_map={"input_layernorm": ["input_layernorm"],
                   "self_attn.W_pack": ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
                   "self_attn.o_proj": ["self_attn.o_proj"],
                   "post_attention_layernorm": ["post_attention_layernorm"],
                   "mlp.gate_proj": ["mlp.gate_proj"], "mlp.up_proj": ["mlp.up_proj"],
                   "mlp.down_proj": ["mlp.down_proj"]},
        config=dict(architectures=["BaiChuanForCausalLM"], model_type="baichuan", hidden_act="silu",
                    hidden_size=fx.TINY["hidden_size"], intermediate_size=fx.TINY["intermediate_size"],
                    num_attention_heads=fx.TINY["num_attention_heads"], num_hidden_layers=fx.TINY["num_hidden_layers"],
                    max_position_embeddings=64, rms_norm_eps=fx.TINY["rms_norm_eps"], vocab_size=fx.TINY["vocab_size"],
                    initializer_range=0.02, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=0),
        lora=["W_pack", "o_proj", "up_proj"],
        check=baichuan7_check),
    # IQuest-Coder-V1 (IQuestCoderForCausalLM, non-loop): Llama under Llama's names (its configuration_iquestcoder.py:
    # "IQuestCoder is structurally Llama (RMSNorm + GQA + RoPE + SwiGLU)"; sglang's models/llama.py serves it as
    # IQuestCoderForCausalLM(LlamaForCausalLM)), with OLMo's clip_qkv and Qwen2's sliding window as options the
    # released configs leave off
    "iquestcoder": Family(
        "llama", dict(head_dim=16, rope_parameters=fx.rope("default", 500000.0)),
        top={"model.embed_tokens.weight": "model.embed_tokens.weight", "model.norm.weight": "model.norm.weight",
             "lm_head.weight": "lm_head.weight"},
        layers="model.layers",
        layer_map={n: [n] for n in ("input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                    "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj",
                                    "mlp.down_proj")},
        config=dict(architectures=["IQuestCoderForCausalLM"], model_type="iquestcoder", hidden_act="silu",
                    hidden_size=fx.TINY["hidden_size"], intermediate_size=fx.TINY["intermediate_size"],
                    num_attention_heads=fx.TINY["num_attention_heads"], num_key_value_heads=fx.TINY["num_key_value_heads"],
                    head_dim=16, num_hidden_layers=fx.TINY["num_hidden_layers"], max_position_embeddings=64,
                    rms_norm_eps=fx.TINY["rms_norm_eps"], vocab_size=fx.TINY["vocab_size"], rope_theta=500000.0,
                    rope_scaling=None, attention_bias=False, mlp_bias=False, clip_qkv=None, use_sliding_window=False,
                    sliding_window=None, max_window_layers=0, initializer_range=0.02, tie_word_embeddings=False,
                    bos_token_id=1, eos_token_id=2, pad_token_id=0),
        lora=["q_proj", "k_proj", "o_proj", "down_proj"]),
}


def lora(family, model, folder):
    """A PEFT adapter in the family's names; returns a copy of the transformers model with it merged."""
    g = torch.Generator().manual_seed(fx.SEED + 1)
    r, alpha = 4, 8
    n_layers = model.config.num_hidden_layers
    state = model.state_dict()
    fam = family.to_family(state, n_layers)
    tensors, modules = {}, []
    merged = dict(state)
    for i in range(n_layers):
        src, dst = f"model.layers.{i}.", f"{family.layers}.{i}."
        for name, (parts, pack) in family.layer_map.items():
            if name.split(".")[-1] not in family.lora:
                continue
            module = dst + name
            rows, columns = fam[module + ".weight"].shape
            a = torch.randn(r, columns, generator=g) * 0.3
            b = torch.randn(rows, r, generator=g) * 0.3
            tensors[f"base_model.model.{module}.lora_A.weight"] = a
            tensors[f"base_model.model.{module}.lora_B.weight"] = b
            modules.append(module)
            delta = (alpha / r) * (b @ a)  # (rows, columns), as the family's weight
            # which family row each transformers row went to: pack the row numbers themselves
            numbers, start = [], 0
            for p in parts:
                n = state[f"{src}{p}.weight"].shape[0]
                numbers.append(torch.arange(start, start + n))
                start += n
            where = torch.empty(start, dtype=torch.long)
            where[pack(numbers)] = torch.arange(start)
            for p, rows in zip(parts, numbers):  # split back into the transformers weights it packs
                key = f"{src}{p}.weight"
                merged[key] = state[key] + delta[where[rows]]
    os.makedirs(folder, exist_ok=True)
    save_file(tensors, os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(dict(peft_type="LORA", task_type="CAUSAL_LM", r=r, lora_alpha=alpha, lora_dropout=0.0,
                       target_modules=family.lora, use_rslora=False, fan_in_fan_out=False, bias="none",
                       base_model_name_or_path=None, use_dora=False, modules_to_save=None), f, indent=2)
    copy = type(model)(model.config)
    copy.load_state_dict(merged)
    return copy.eval(), sorted(modules)


def make(name, family, out_dir):
    torch.manual_seed(fx.SEED)
    kwargs = dict(fx.TINY)
    kwargs.update(family.overrides)
    config = AutoConfig.for_model(family.model_type, **kwargs)
    config._attn_implementation = "eager"
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
    fx.randomize(model, family.model_type)
    with torch.no_grad():
        for key, p in model.named_parameters():
            if any(key.endswith(z) for z in family.zeroed):
                p.zero_()
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = 1
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    save_file(family.to_family(model.state_dict(), config.num_hidden_layers), os.path.join(folder, "model.safetensors"),
              metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(dict(family.config, transformers_version=transformers.__version__), f, indent=2)
    model.generation_config.save_pretrained(folder)

    ids = torch.tensor(fx.INPUT_IDS)
    mask = (torch.arange(ids.shape[1]) >= (ids == 0).sum(-1, keepdim=True)).long()
    labels = ids.masked_fill(mask == 0, -100).masked_fill(fx.positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note=f"computed by transformers' {type(model).__name__} on these weights in its own names"
                    " (tools/make-rearranged-fixtures.py); position ids count the real tokens of each row",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), position_ids=fx.positions(mask).tolist(),
               labels=labels.tolist())
    with torch.no_grad():
        logits, loss = fx.forward(model, ids, mask, labels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        tokens, margin = fx.greedy(model, ids, mask)
        alone = []
        for b in range(ids.shape[0]):
            row, row_margin = fx.greedy_cached(model, ids[b][mask[b] == 1].unsqueeze(0))
            alone.append(row)
            margin = min(margin, row_margin)
        ref["greedy"] = dict(max_new_tokens=fx.NEW_TOKENS, eos_token_id=2, tokens=tokens, tokens_alone=alone,
                             min_top2_gap=margin)
        merged, modules = lora(family, model, os.path.join(folder, "adapter"))
        lora_logits, lora_loss = fx.forward(merged, ids, mask, labels)
        ref["lora"] = dict(folder="adapter", modules=modules,
                           logits=dict(shape=list(lora_logits.shape), values=lora_logits.tolist()), loss=lora_loss)
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    if family.check is not None:
        family.check(model, folder, ids, mask)
    print(f"{name}: loss {loss:.5f}, greedy {tokens}, alone {alone}, smallest top-2 gap {margin:.4f}")


REMOTE = None  # the folder of the families' own remote code, for the checks that run it


if __name__ == "__main__":
    REMOTE = os.path.abspath(sys.argv[1])
    out = sys.argv[2] if len(sys.argv) > 2 else "reference-fixtures"
    only = set(sys.argv[3:])
    torch.set_num_threads(1)
    for case, family in FAMILIES.items():
        if not only or case in only:
            make(case, family, out)
