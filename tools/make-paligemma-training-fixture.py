#!/usr/bin/env python3
"""A PaliGemma training batch with images as transformers makes and trains it: the reference of Osprey's prefix-LM
training rows (plugins-models/gemma-vision, PaliGemmaTrainingRowsTest).

PaliGemmaProcessor, given each row's text and its suffix (the answer), writes image tokens, BOS, the prompt, "\\n"
(token_type_ids 0: the prefix, read both ways), then the suffix and EOS (token_type_ids 1: causal, labelled); rows are
padded on the right. The tiny paligemma checkpoint (tools/make-siglip-fixtures.py) then gives the loss with those
labels, and the gradients of a few parameters after loss.backward(). Written beside the PNGs of
tools/make-vl-prompt-fixtures.py in reference/paligemma-images: training.json (the rows, ids, token_type_ids, labels,
attention mask, loss) and training.safetensors (pixel_values and each parameter's gradient as "grad.NAME").

Run in the Debian sid chroot:
    chroot /srv/sid python3 /work/wt-NAME/tools/make-paligemma-training-fixture.py /work/wt-NAME
"""
import json
import sys
from pathlib import Path

import torch
import transformers
from PIL import Image
from safetensors.torch import save_file

root = Path(sys.argv[1])
GEMMA = root / "plugins-models/gemma-vision/src/test/resources/reference"
IMAGES = GEMMA / "paligemma-images"
ROWS = [{"image": "a.png", "prompt": "w93 w5", "answer": "w8 w61"},
        {"image": "b.png", "prompt": "w17", "answer": "w40 w41 w42 w43 w44"}]
# transformers 5's parameter names and Osprey's (transformers 4's module paths)
GRADIENTS = {"model.multi_modal_projector.linear.weight": "multi_modal_projector.linear.weight",
             "model.language_model.layers.0.self_attn.q_proj.weight":
                 "language_model.model.layers.0.self_attn.q_proj.weight",
             "model.vision_tower.encoder.layers.0.mlp.fc1.weight":
                 "vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight"}

tok = transformers.PreTrainedTokenizerFast(tokenizer_file=str(IMAGES / "tokenizer.json"), bos_token="<bos>",
                                           eos_token="<eos>", pad_token="<pad>")
processor = transformers.PaliGemmaProcessor(image_processor=transformers.AutoImageProcessor.from_pretrained(IMAGES),
                                            tokenizer=tok)
inputs = processor(text=["<image>" + r["prompt"] for r in ROWS], suffix=[r["answer"] for r in ROWS],
                   images=[[Image.open(IMAGES / r["image"]).convert("RGB")] for r in ROWS], padding="longest",
                   return_tensors="pt")
model = transformers.PaliGemmaForConditionalGeneration.from_pretrained(GEMMA / "paligemma", dtype=torch.float32)
model.train()  # the fixture has no dropout; train() as a trainer runs it
out = model(**inputs)
out.loss.backward()
params = dict(model.named_parameters())
names = {}
for name, key in GRADIENTS.items():
    names[key] = params[name].grad.detach().clone()
tensors = {"pixel_values": inputs["pixel_values"].contiguous()}
tensors.update({"grad." + k: v.contiguous() for k, v in names.items()})
save_file(tensors, IMAGES / "training.safetensors", metadata={"format": "pt"})
ref = dict(rows=ROWS, input_ids=inputs["input_ids"].tolist(), token_type_ids=inputs["token_type_ids"].tolist(),
           labels=inputs["labels"].tolist(), attention_mask=inputs["attention_mask"].tolist(),
           loss=float(out.loss.detach()), gradients=list(names), transformers_version=transformers.__version__)
(IMAGES / "training.json").write_text(json.dumps(ref, indent=1) + "\n")
print(json.dumps({k: ref[k] for k in ("input_ids", "token_type_ids", "labels", "loss", "gradients")}))
