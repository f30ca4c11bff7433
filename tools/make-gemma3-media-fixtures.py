#!/usr/bin/env python3
"""Records what transformers' Gemma3ImageProcessor (the torchvision backend AutoImageProcessor returns) and
Gemma3Processor's prompt expansion make of the media bundle's test pictures (tools/make-media-fixtures.py draws them).

Two configurations: Gemma 3's released preprocessor_config.json (google/gemma-3-4b-it: 896 x 896, bilinear, no
pan-and-scan) and a small one with pan-and-scan on (64 x 64, crops of at least 32 pixels) so the test pictures are
cut. Per case and picture: shape, num_crops, sum, sum of squares and 256 sampled values; the small case's full
pixel_values for one picture. The prompt expansion is Gemma3Processor's own text, with a stand-in tokenizer that
only names the special tokens.

    chroot /srv/sid python3 tools/make-gemma3-media-fixtures.py bundles/media/src/test/resources/media-fixtures
"""
import importlib.util
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers.models.gemma3.processing_gemma3 import Gemma3Processor

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("media_fixtures", os.path.join(HERE, "make-media-fixtures.py"))
media = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(media)

# google/gemma-3-4b-it's preprocessor_config.json
GEMMA3 = dict(image_processor_type="Gemma3ImageProcessor", processor_class="Gemma3Processor", do_convert_rgb=None,
              do_normalize=True, do_pan_and_scan=None, do_rescale=True, do_resize=True, image_mean=[0.5, 0.5, 0.5],
              image_std=[0.5, 0.5, 0.5], image_seq_length=256, pan_and_scan_max_num_crops=None,
              pan_and_scan_min_crop_size=None, pan_and_scan_min_ratio_to_activate=None, resample=2,
              rescale_factor=1 / 255, size=dict(height=896, width=896))
PAN_AND_SCAN = dict(GEMMA3, do_pan_and_scan=True, pan_and_scan_min_crop_size=32, pan_and_scan_max_num_crops=4,
                    pan_and_scan_min_ratio_to_activate=1.2, size=dict(height=64, width=64))
PICTURES = ["photo.jpg", "exif6.jpg", "gray.jpg", "cmyk.jpg", "alpha.png", "lossless.webp", "palette.gif", "small.bmp"]


class TextCatcher:
    """A stand-in tokenizer that names Gemma 3's special tokens and keeps the text the processor hands it."""
    image_token, boi_token, eoi_token = "<image_soft_token>", "<start_of_image>", "<end_of_image>"
    image_token_id = 262144
    init_kwargs = {}

    def __call__(self, text, **kwargs):
        self.text = text
        return dict(input_ids=[[]])


class CropCounter:
    """A stand-in image processor that reports the given num_crops for its images."""

    def __init__(self, crops):
        self.crops = crops

    def fetch_images(self, images):
        return images

    def __call__(self, images, **kwargs):
        return dict(num_crops=torch.tensor(self.crops))


def prompts():
    """Gemma3Processor.__call__'s own text for a prompt with two images, without and with crops."""
    out = []
    for crops in ([0, 0], [2, 0], [3, 2]):
        tokenizer = TextCatcher()
        processor = object.__new__(Gemma3Processor)
        processor.tokenizer, processor.image_processor = tokenizer, CropCounter(crops)
        processor.image_seq_length, processor.boi_token = 3, tokenizer.boi_token
        processor.full_image_sequence = (f"\n\n{tokenizer.boi_token}{tokenizer.image_token * 3}"
                                         f"{tokenizer.eoi_token}\n\n")
        processor._check_special_mm_tokens = lambda *a, **k: None  # the stand-in tokenizer makes no ids
        prompt = "Compare <start_of_image> with<start_of_image>, please."
        processor(images=[[torch.zeros(3, 8, 8), torch.zeros(3, 8, 8)]], text=[prompt])
        out.append(dict(prompt=prompt, num_crops=crops, image_seq_length=3, expanded=tokenizer.text[0]))
    return out


class PairCatcher(TextCatcher):
    """A stand-in PaliGemma tokenizer: keeps the text and the text pair the processor hands it."""
    bos_token, eos_token = "<bos>", "<eos>"
    image_token, image_token_id = "<image>", 257152

    def __call__(self, text, text_pair=None, **kwargs):
        self.text, self.pair = text, text_pair
        return dict(input_ids=[[]], token_type_ids=[[]])


def paligemma_prompts():
    """PaliGemmaProcessor.__call__'s own prefix and suffix text, with and without <image> in the prompt."""
    out = []
    cases = [("caption en", 1, None), ("answer en where is the cat?", 2, "on the mat"),
             ("<image>describe<image> both", 2, "two cats"), ("<image><image>detect cat", 2, None)]
    for prompt, images, suffix in cases:
        tokenizer = PairCatcher()
        processor = object.__new__(transformers.PaliGemmaProcessor)
        processor.tokenizer, processor.image_seq_length = tokenizer, 3
        processor.image_processor = lambda images, **kwargs: dict(pixel_values=None)
        processor._check_special_mm_tokens = lambda *a, **k: None
        processor(images=[[torch.zeros(3, 8, 8)] * images], text=[prompt],
                  **({"suffix": [suffix]} if suffix else {}))
        out.append(dict(prompt=prompt, images=images, suffix=suffix, image_seq_length=3, bos="<bos>", eos="<eos>",
                        prefix=tokenizer.text[0], pair=tokenizer.pair[0] if tokenizer.pair else None))
    return out


def main():
    out = sys.argv[1]
    result = dict(transformers=transformers.__version__, torch=torch.__version__, cases={})
    full = {}
    for case, config in (("gemma3", GEMMA3), ("gemma3_pan_and_scan", PAN_AND_SCAN)):
        p = media.processor(config)
        entry = dict(config=config, processor=type(p).__module__ + "." + type(p).__name__, images={})
        for i, name in enumerate(PICTURES):
            im = media.load(os.path.join(out, name))
            # what Gemma3Processor passes the image processor: its defaults (RGB conversion; pan-and-scan off, crops
            # of 256 or more, at most 4, from an aspect ratio of 1.2), here with the configuration's pan-and-scan
            kwargs = dict(do_convert_rgb=True, do_pan_and_scan=bool(config["do_pan_and_scan"]),
                          pan_and_scan_min_crop_size=config["pan_and_scan_min_crop_size"] or 256,
                          pan_and_scan_max_num_crops=config["pan_and_scan_max_num_crops"] or 4,
                          pan_and_scan_min_ratio_to_activate=config["pan_and_scan_min_ratio_to_activate"] or 1.2)
            bf = p(images=[im], return_tensors="pt", **kwargs)
            pv = bf["pixel_values"]
            e = media.summary(pv, seed=1000 * i + len(case))
            e["num_crops"] = [int(n) for n in torch.as_tensor(bf["num_crops"]).reshape(-1).tolist()]
            entry["images"][name] = e
            if case == "gemma3_pan_and_scan" and name == "photo.jpg":
                full[f"{case}/{name}"] = pv.contiguous().to(torch.float32)
        result["cases"][case] = entry
    result["prompts"] = prompts()
    result["paligemma_prompts"] = paligemma_prompts()
    save_file(full, os.path.join(out, "gemma3-pixels.safetensors"))
    with open(os.path.join(out, "gemma3.json"), "w") as f:
        json.dump(result, f, indent=1)
    for case, entry in result["cases"].items():
        print(case, {n: (e["shape"], e["num_crops"]) for n, e in entry["images"].items()})


if __name__ == "__main__":
    main()
