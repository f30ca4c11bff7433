#!/usr/bin/env python3
"""Records what InternVL's two image pipelines make of make-media-fixtures.py's pictures.

- hf: transformers 5.12's GotOcr2ImageProcessor (the torchvision backend AutoImageProcessor returns for the "-hf"
  ids) called as InternVLProcessor calls it, with crop_to_patches=True: the closest grid of tiles within
  min/max_patches, each tile and a thumbnail resized with torchvision's antialiased bicubic, normalised fused.
- chat: the original format's pipeline, run from OpenGVLab's own code (internvl_chat/internvl/train/dataset.py of
  github.com/OpenGVLab/InternVL, unpacked outside this repository; its README's load_image is the same):
  dynamic_preprocess (PIL's bicubic resize to the grid, crops, a thumbnail) and build_transform (T.Resize bicubic,
  ToTensor, Normalize with ImageNet's mean and std). That module imports cv2, imageio and decord for videos only;
  inert stand-ins take their place.

Each at InternVL's 448-pixel tiles with up to 12 tiles, and at 28-pixel tiles with up to 6 (more grids per picture,
small enough to keep one image's full pixel_values). Recorded like make-media-fixtures.py: shape, tiles, sum, sum of
squares, 256 sampled values; full pixel_values of small.bmp for the small cases in pixels.safetensors.

    chroot /srv/sid python3 tools/make-internvl-media-fixtures.py OUT_DIR REMOTE_CODE_DIR
"""
import importlib.util
import json
import os
import sys
import tempfile
import types

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoImageProcessor

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("media_fixtures", os.path.join(HERE, "make-media-fixtures.py"))
media = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(media)

PICTURES = os.path.join(HERE, "..", "bundles", "media", "src", "test", "resources", "media-fixtures")
IMAGES = ["photo.jpg", "exif6.jpg", "gray.jpg", "cmyk.jpg", "alpha.png", "lossless.webp", "palette.gif", "small.bmp"]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
# InternVL3-1B-hf's preprocessor_config.json
HF = dict(image_processor_type="GotOcr2ImageProcessor", processor_class="InternVLProcessor", crop_to_patches=False,
          min_patches=1, max_patches=12, size=dict(height=448, width=448), image_mean=IMAGENET_MEAN,
          image_std=IMAGENET_STD, do_resize=True, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
          do_convert_rgb=True, resample=3)
HF_SMALL = dict(HF, size=dict(height=28, width=28), max_patches=6)
FULL = ["hf_small/small.bmp", "chat_small/small.bmp"]


def remote_dataset(remote):
    for name in ("cv2", "imageio", "decord"):
        module = types.ModuleType(name)
        module.VideoReader = None
        sys.modules.setdefault(name, module)
    sys.path.insert(0, remote)
    from internvl.train import dataset
    return dataset


def main():
    out, remote = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    dataset = remote_dataset(remote)
    cases, full = {}, {}
    for name, config in (("hf", HF), ("hf_small", HF_SMALL)):
        processor = media.processor(config)
        images = {}
        for image in IMAGES:
            # InternVLProcessor's defaults pass crop_to_patches=True whatever the file says
            result = processor(images=[media.load(os.path.join(PICTURES, image))], crop_to_patches=True,
                               return_tensors="pt")
            pixels = result["pixel_values"]
            images[image] = dict(media.summary(pixels, 7), tiles=int(result["num_patches"][0]))
            if f"{name}/{image}" in FULL:
                full[f"{name}/{image}"] = pixels.contiguous()
        cases[name] = dict(processor=type(processor).__name__, config=config, images=images)
    for name, size, max_num in (("chat", 448, 12), ("chat_small", 28, 6)):
        transform = dataset.build_transform(is_train=False, input_size=size, normalize_type="imagenet")
        images = {}
        for image in IMAGES:
            picture = media.load(os.path.join(PICTURES, image)).convert("RGB")
            tiles = dataset.dynamic_preprocess(picture, min_num=1, max_num=max_num, image_size=size,
                                               use_thumbnail=True)
            pixels = torch.stack([transform(t) for t in tiles])
            images[image] = dict(media.summary(pixels, 7), tiles=len(tiles))
            if f"{name}/{image}" in FULL:
                full[f"{name}/{image}"] = pixels.contiguous()
        cases[name] = dict(processor="internvl dynamic_preprocess + build_transform", image_size=size, min_num=1,
                           max_num=max_num, use_thumbnail=True, images=images)
    save_file(full, os.path.join(out, "pixels.safetensors"))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
                       pictures="../media-fixtures", cases=cases), f, indent=1)
    for name, case in cases.items():
        print(name, {k: v["tiles"] for k, v in case["images"].items()})


if __name__ == "__main__":
    main()
