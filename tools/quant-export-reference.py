"""transformers' logits on the FP8 folder Osprey's fp8 exporter writes, the golden of QuantizedExportTest.

Run the test once (it leaves the export in bundles/export/target/quant-fp8-llama), then, in the sid chroot:

    chroot /srv/sid python3 /work/wt-quant/tools/quant-export-reference.py /work/wt-quant

It loads the folder with AutoModelForCausalLM (transformers reads fine-grained FP8 itself; on a machine without a
GPU it dequantizes weight · weight_scale_inv per block), computes the logits of the test's probe sequence and writes
them with the SHA-256 of model.safetensors to bundles/export/src/test/resources/quant/fp8-llama-transformers.json.
It also says whether this transformers can load the GPTQ and AWQ exports without their kernel packages.
"""
import hashlib
import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM

root = sys.argv[1] if len(sys.argv) > 1 else "."
folder = os.path.join(root, "bundles/export/target/quant-fp8-llama")
out = os.path.join(root, "bundles/export/src/test/resources/quant/fp8-llama-transformers.json")
PROBE = [[1, 17, 42, 99, 5, 63, 21, 7, 88, 120, 3, 54]]

with open(os.path.join(folder, "model.safetensors"), "rb") as f:
    sha = hashlib.sha256(f.read()).hexdigest()
model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
assert model.model.layers[0].mlp.down_proj.weight.dtype == torch.float32, "transformers kept FP8 weights"
with torch.no_grad():
    logits = model(torch.tensor(PROBE)).logits.float()
with open(out, "w") as f:
    json.dump(dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
                   model_sha256=sha, input_ids=PROBE, shape=list(logits.shape),
                   logits=[round(x, 7) for x in logits.reshape(-1).tolist()]), f)
print("wrote", out, "sha256", sha)

# can this transformers read GPTQ / AWQ folders without gptqmodel / autoawq? (the reference fixtures)
for name in ("llama-gptq", "llama-awq"):
    path = os.path.join(root, "plugins-models/llama/src/test/resources/reference", name)
    try:
        AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        print(name, ": transformers loads it")
    except Exception as e:  # the kernel package it asks for
        print(name, ": transformers cannot load it here:", type(e).__name__, str(e).splitlines()[0][:200])
