#!/usr/bin/env python3
"""Writes internvl-chat-awq and internvl-chat-internlm2-awq: the tiny chat checkpoints of
tools/make-internvl-fixtures.py (a Qwen2 and an InternLM2 language model) in the layout of
OpenGVLab's InternVL*-AWQ ids, which lmdeploy's `lite auto_awq` writes: the language model's decoder linears packed in
AutoAWQ's GEMM layout (qweight, qzeros, scales; lm_head, the vision tower and mlp1 dense), and the quantization config
({quant_method: awq, version: gemm, bits: 4, group_size, zero_point: true}) on the language model's config, so
config.json holds it as llm_config.quantization_config. The reference numbers are OpenGVLab's InternVLChatModel with
the dequantized weights (what the packed checkpoint computes): logits and loss of internvl-chat's batch and tiles, and
greedy tokens.

    chroot /srv/sid python3 /work/wt-NAME/tools/make-internvl-awq-fixture.py /work/wt-NAME REMOTE_CODE_DIR
"""
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import torch
import transformers
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def module(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


root, remote = Path(sys.argv[1]), sys.argv[2]
fixtures = module("internvl_fixtures", "make-internvl-fixtures.py")
text = fixtures.text
ref_dir = root / "plugins-models/internvl/src/test/resources/reference"
torch.set_num_threads(1)


def make(case):
    dense, out = ref_dir / case, ref_dir / (case + "-awq")
    out.mkdir(parents=True, exist_ok=True)
    text.LINEARS = fixtures.CHAT[case]["linears"]  # the decoder linears lmdeploy packs (InternLM2: wqkv, wo, w1-w3)

    model = fixtures.chat_model(remote, fixtures.CHAT[case])
    model.load_state_dict(load_file(dense / "model.safetensors"))
    parts = text.quantize_linears(model.language_model, "awq")  # the model now holds the dequantized weights
    state = {}
    for key, value in model.state_dict().items():
        inner = key[len("language_model."):] if key.startswith("language_model.") else None
        if inner is not None and inner.endswith(".weight") and inner[:-len(".weight")] + ".qweight" in parts:
            continue  # stored packed instead
        state[key] = value.contiguous()
    for key, value in parts.items():
        state["language_model." + key] = value.contiguous()
    save_file(state, out / "model.safetensors", metadata={"format": "pt"})

    config = json.loads((dense / "config.json").read_text())
    config["llm_config"]["quantization_config"] = dict(quant_method="awq", version="gemm", bits=4,
                                                       group_size=text.QUANT_GROUP, zero_point=True)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for f in ("added_tokens.json", "generation_config.json", "inputs.safetensors"):
        shutil.copy(dense / f, out / f)

    pixel_values = load_file(dense / "inputs.safetensors")["pixel_values"]
    ids, mask = fixtures.batch()
    labels = ids.masked_fill(mask == 0, -100).masked_fill(text.positions(mask) == 0, -100)
    ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
               note="internvl-chat's batch and tiles (inputs.safetensors) through the dequantized weights",
               input_ids=ids.tolist(), attention_mask=mask.tolist(), labels=labels.tolist(), tiles=fixtures.TILES,
               image_rows=[0, 0, 1])
    with torch.no_grad():
        logits, loss = fixtures.chat_forward(model, ids, mask, pixel_values, labels)
        ref["logits"] = dict(shape=list(logits.shape), values=logits.tolist())
        ref["loss"] = loss
        tokens, margin = fixtures.chat_greedy(model, ids, mask, pixel_values)
        ref["greedy"] = dict(max_new_tokens=text.NEW_TOKENS, eos_token_id=2, tokens=tokens, min_top2_gap=margin)
    (out / "reference.json").write_text(json.dumps(ref, separators=(",", ":")))
    print(f"{case}-awq: {len(parts) // 3} packed linears, loss {loss:.5f}, greedy {tokens}, gap {margin:.4f}")


for case in ("internvl-chat", "internvl-chat-internlm2"):
    make(case)
