"""Images through Qwen2-VL's own processor and model: the reference of the prompt path (chat template placeholders
expanded to the image processor's token counts, pixel values from real PNG files, greedy tokens).

Writes plugins-models/qwen-vl/src/test/resources/reference/qwen2-vl-images/: two drawn PNGs, a preprocessor_config.json
for the tiny qwen2-vl fixture (patch 4, merge 2), and images.json: the prompt's ids with one <|image_pad|> per image
(what the prompt encoder gives), the expanded input_ids, image_grid_thw, pixel_values' sum and a few values, and
transformers' greedy tokens through the model's cache. Run in the Debian sid chroot:
    chroot /srv/sid python3 /work/wt-NAME/tools/make-qwen-vl-prompt-fixtures.py /work/wt-NAME [qwen3-vl]

With qwen3-vl it writes qwen3-vl-images/ for the tiny qwen3-vl fixture instead: a preprocessor_config.json shaped
as Qwen3-VL's on the Hub (processor_class Qwen3VLProcessor, Qwen2VLImageProcessorFast, size.shortest_edge and
size.longest_edge, mean and std 0.5) with 4-pixel patches, and Qwen3VLForConditionalGeneration's greedy tokens.
"""
import json
import sys
from pathlib import Path

import torch
from PIL import Image, ImageDraw
import transformers
from transformers import AutoImageProcessor

root = Path(sys.argv[1])
case = sys.argv[2] if len(sys.argv) > 2 else "qwen2-vl"
model_dir = root / f"plugins-models/qwen-vl/src/test/resources/reference/{case}"
out = root / f"plugins-models/qwen-vl/src/test/resources/reference/{case}-images"
out.mkdir(parents=True, exist_ok=True)


def picture(width, height, seed):
    img = Image.new("RGB", (width, height))
    px = img.load()
    for y in range(height):
        for x in range(width):
            px[x, y] = ((x * 37 + seed * 11) % 256, (y * 53 + seed * 29) % 256, ((x + y) * 19 + seed) % 256)
    d = ImageDraw.Draw(img)
    d.ellipse([2, 3, width - 4, height - 2], outline=(250, 240, 10))
    d.line([0, height - 1, width - 1, 0], fill=(10, 20, 200))
    return img


images = [("a.png", picture(16, 16, 1)), ("b.png", picture(24, 16, 2))]
for name, img in images:
    img.save(out / name)

config = {
    "image_processor_type": "Qwen2VLImageProcessor",
    "do_resize": True, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "do_convert_rgb": True,
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
    "min_pixels": 64, "max_pixels": 4096, "patch_size": 4, "temporal_patch_size": 2, "merge_size": 2,
}
if case == "qwen3-vl":
    config = {
        "processor_class": "Qwen3VLProcessor", "image_processor_type": "Qwen2VLImageProcessorFast",
        "do_resize": True, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "do_convert_rgb": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "size": {"shortest_edge": 64, "longest_edge": 4096}, "patch_size": 4, "temporal_patch_size": 2,
        "merge_size": 2,
    }
(out / "preprocessor_config.json").write_text(json.dumps(config, indent=2) + "\n")

processor = AutoImageProcessor.from_pretrained(out)
loaded = [Image.open(out / name).convert("RGB") for name, _ in images]
pixels = processor(images=loaded, return_tensors="pt")
grid = pixels["image_grid_thw"]
tokens = [int(g.prod()) // 4 for g in grid]

model_config = json.loads((model_dir / "config.json").read_text())
image, start, end = model_config["image_token_id"], model_config["vision_start_token_id"] if "vision_start_token_id" in model_config else 150, 153
# what the prompt encoder gives: the template's <|vision_start|><|image_pad|><|vision_end|> with the pad cut out
prompt = [1, 17, start, end, 93, 5, 44, start, end, 8, 61]
positions = [3, 8]
expanded = []
at = 0
for i, p in enumerate(positions):
    expanded += prompt[at:p] + [image] * tokens[i]
    at = p
expanded += prompt[at:]

model_class = "Qwen3VLForConditionalGeneration" if case == "qwen3-vl" else "Qwen2VLForConditionalGeneration"
model = getattr(transformers, model_class).from_pretrained(model_dir, dtype=torch.float32).eval()
ids = torch.tensor([expanded])
mask = torch.ones_like(ids)
with torch.no_grad():
    # mm_token_type_ids as Qwen2VLProcessor returns it: transformers 5 reads the M-RoPE layout from it
    types = (ids == image).int()
    out_gen = model.generate(input_ids=ids, attention_mask=mask, mm_token_type_ids=types, pixel_values=pixels["pixel_values"],
                             image_grid_thw=grid, do_sample=False, max_new_tokens=8, output_scores=True,
                             return_dict_in_generate=True)
new = out_gen.sequences[0, ids.shape[1]:].tolist()
margin = min(float(torch.topk(s[0], 2).values[0] - torch.topk(s[0], 2).values[1]) for s in out_gen.scores)
pv = pixels["pixel_values"]
ref = {
    "transformers_version": __import__("transformers").__version__,
    "images": [name for name, _ in images],
    "prompt_ids": prompt, "media_positions": positions,
    "input_ids": expanded, "image_grid_thw": grid.tolist(), "tokens": tokens,
    "pixel_values_shape": list(pv.shape), "pixel_values_sum": float(pv.double().sum()),
    "pixel_values_first": pv[0, :8].tolist(), "pixel_values_last": pv[-1, -8:].tolist(),
    "greedy": {"max_new_tokens": 8, "tokens": new, "smallest_top2_gap": margin},
}
(out / "images.json").write_text(json.dumps(ref, indent=1) + "\n")

# a chat folder's text side for the tiny model (its weights are the qwen2-vl fixture's): a word-level tokenizer where
# "wN" is id N, Qwen2-VL's special tokens at the fixture's ids, and a chat template that writes the parts as
# Qwen2-VL's does (<|vision_start|><|image_pad|><|vision_end|>), without the turn markup the tiny vocabulary lacks
special = ["<|vision_start|>", "<|image_pad|>", "<|video_pad|>", "<|vision_end|>"]
tokenizer = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": 150 + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True} for i, t in enumerate(special)],
    "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None,
    "model": {"type": "WordLevel", "vocab": {f"w{i}": i for i in range(150)}, "unk_token": "w0"},
}
(out / "tokenizer.json").write_text(json.dumps(tokenizer) + "\n")
template = ("{% for message in messages %}{% if message['content'] is string %}{{ message['content'] }}"
            "{% else %}{% for content in message['content'] %}"
            "{% if content['type'] == 'image' or 'image' in content %}<|vision_start|><|image_pad|><|vision_end|>"
            "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %} {% endfor %}")
(out / "tokenizer_config.json").write_text(json.dumps({"chat_template": template, "model_max_length": 256}, indent=1)
                                           + "\n")
print(json.dumps({k: v for k, v in ref.items() if "pixel_values_f" not in k}))
