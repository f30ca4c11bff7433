#!/usr/bin/env python3
"""Makes test images and records what Hugging Face's image processors compute from them.

The images are drawn here (gradients, shapes and a little noise, so resizing has edges and texture to
get wrong) and saved in the formats Osprey's media bundle must read: JPEG, a JPEG with EXIF orientation 6,
a grayscale JPEG, a CMYK JPEG, PNG with alpha, lossless and lossy WebP, GIF and BMP. Each is then opened
with PIL as transformers' and ms-swift's loaders do (Image.open, ImageOps.exif_transpose, convert("RGB")
in the processor) and given to the processors transformers 5 returns from AutoImageProcessor (the
torchvision backends), plus ms-swift's Qwen2-VL path (qwen-vl-utils' fetch_image: PIL resize to
smart_resize(MIN_PIXELS, MAX_PIXELS) first). Recorded per case and image: shape, grid, token count, sum,
sum of squares and 256 sampled values; full pixel_values for two small cases in pixels.safetensors.
Osprey's tests (bundles/media) must reproduce these numbers.

    chroot /srv/sid python3 tools/make-media-fixtures.py bundles/media/src/test/resources/media-fixtures
"""
import hashlib
import io
import json
import math
import os
import sys
import tempfile

import numpy as np
import torch
import transformers
from PIL import Image, ImageDraw, ImageOps
from safetensors.torch import save_file
from transformers import AutoImageProcessor, AutoVideoProcessor
from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
QWEN2VL = dict(image_processor_type="Qwen2VLImageProcessor", processor_class="Qwen2VLProcessor", patch_size=14,
               temporal_patch_size=2, merge_size=2, image_mean=CLIP_MEAN, image_std=CLIP_STD, do_resize=True,
               do_rescale=True, do_normalize=True, do_convert_rgb=True, rescale_factor=1 / 255, resample=3,
               min_pixels=3136, max_pixels=28 * 28 * 64)
# Qwen2-VL-7B-Instruct's bounds (its preprocessor_config.json): every test picture is rounded to multiples of 28
QWEN2VL_RELEASED = dict(QWEN2VL, max_pixels=12845056)
# LLaVA 1.5's preprocessor_config.json (llava-hf/llava-1.5-7b-hf), and a small variant that downscales
CLIP = dict(image_processor_type="CLIPImageProcessor", processor_class="LlavaProcessor", crop_size=dict(height=336, width=336),
            do_center_crop=True, do_convert_rgb=True, do_normalize=True, do_rescale=True, do_resize=True,
            image_mean=CLIP_MEAN, image_std=CLIP_STD, resample=3, rescale_factor=1 / 255, size=dict(shortest_edge=336))
CLIP_SMALL = dict(CLIP, crop_size=dict(height=64, width=64), size=dict(shortest_edge=72))
# PaliGemma's (google/paligemma-3b-pt-224)
SIGLIP = dict(image_processor_type="SiglipImageProcessor", processor_class="PaliGemmaProcessor",
              do_normalize=True, do_rescale=True, do_resize=True, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5],
              resample=3, rescale_factor=1 / 255, size=dict(height=224, width=224), image_seq_length=256)
SWIFT_MAX_PIXELS = 28 * 28 * 32  # ms-swift's MAX_PIXELS environment variable, read by qwen-vl-utils
SWIFT_MIN_PIXELS = 4 * 28 * 28   # qwen-vl-utils' default MIN_PIXELS
VIDEO = dict(QWEN2VL, video_processor_type="Qwen2VLVideoProcessor", min_pixels=3136, max_pixels=28 * 28 * 16)
SAMPLES = 256


def photo(width, height, seed, mode="RGB"):
    """A photo-like picture: two crossing gradients, a few shapes, mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 255 * x / max(1, width - 1)
    g = 255 * y / max(1, height - 1)
    b = 128 + 100 * np.sin(x / 7.0 + seed) * np.cos(y / 11.0)
    img = np.stack([r, g, b], axis=-1)
    img += rng.normal(0, 6, img.shape)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    for i in range(6):
        x0, y0 = int(rng.integers(0, width - 8)), int(rng.integers(0, height - 8))
        x1, y1 = x0 + int(rng.integers(5, max(6, width // 3))), y0 + int(rng.integers(5, max(6, height // 3)))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (d.ellipse if i % 2 else d.rectangle)([x0, y0, x1, y1], fill=colour)
    d.line([0, height - 1, width - 1, 0], fill=(255, 255, 255), width=2)
    return im if mode == "RGB" else im.convert(mode)


def write_images(out):
    files = {}

    def save(name, im, **kw):
        im.save(os.path.join(out, name), **kw)
        files[name] = os.path.getsize(os.path.join(out, name))

    save("photo.jpg", photo(400, 300, 1), quality=90)
    # orientation 6: the stored pixels are rotated; viewers (and exif_transpose) turn them 90° clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    save("exif6.jpg", photo(160, 120, 2), quality=92, exif=exif.tobytes())
    save("gray.jpg", photo(150, 200, 3, "L"), quality=90)
    save("cmyk.jpg", photo(120, 90, 4, "CMYK"), quality=95)
    rgba = photo(180, 120, 5).convert("RGBA")
    alpha = Image.new("L", rgba.size, 255)
    ImageDraw.Draw(alpha).rectangle([20, 10, 100, 80], fill=0)       # transparent, colour kept underneath
    ImageDraw.Draw(alpha).ellipse([90, 40, 170, 110], fill=128)       # half transparent
    rgba.putalpha(alpha)
    save("alpha.png", rgba)
    save("lossless.webp", photo(200, 150, 6), lossless=True)
    save("lossy.webp", photo(200, 150, 7), quality=80)
    save("palette.gif", photo(100, 80, 8).convert("P", palette=Image.ADAPTIVE, colors=64))
    save("small.bmp", photo(64, 48, 9))
    for i in range(5):
        save(f"frame{i}.png", photo(64, 48, 20 + i))
    return files


def load(path):
    """As transformers' load_image and ms-swift's load_image: open, apply EXIF orientation."""
    im = Image.open(path)
    im = ImageOps.exif_transpose(im)
    return im


def rgb_bytes(im):
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def processor(config, kind=AutoImageProcessor):
    d = tempfile.mkdtemp()
    name = "video_preprocessor_config.json" if kind is AutoVideoProcessor else "preprocessor_config.json"
    with open(os.path.join(d, name), "w") as f:
        json.dump(config, f)
    return kind.from_pretrained(d)


def summary(values, seed):
    flat = values.reshape(-1).to(torch.float64)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, flat.numel(), (SAMPLES,), generator=g)
    return dict(shape=list(values.shape), sum=flat.sum().item(), sum_squares=(flat * flat).sum().item(),
                sample_index=idx.tolist(), sample_value=[float(v) for v in values.reshape(-1)[idx].tolist()])


def swift_fetch_image(im, min_pixels, max_pixels):
    """qwen-vl-utils' fetch_image as ms-swift calls it: convert("RGB"), then PIL's resize (bicubic) to
    smart_resize(height, width, 28, MIN_PIXELS, MAX_PIXELS)."""
    im = im.convert("RGB")
    h, w = smart_resize(im.height, im.width, 28, min_pixels, max_pixels)
    return im.resize((w, h))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = write_images(out)
    stills = [n for n in sorted(files) if not n.startswith("frame")]
    images = {n: load(os.path.join(out, n)) for n in stills}
    full = {}
    result = dict(transformers=transformers.__version__, torch=torch.__version__, images={}, cases={})
    for n, im in images.items():
        px = rgb_bytes(im)
        result["images"][n] = dict(mode=Image.open(os.path.join(out, n)).mode, width=im.width, height=im.height,
                                   rgb_sha256=hashlib.sha256(px.tobytes()).hexdigest(),
                                   rgb_mean=[float(px[..., c].mean()) for c in range(3)])
    cases = {"qwen2vl": (QWEN2VL, None), "qwen2vl_released": (QWEN2VL_RELEASED, None), "qwen2vl_swift": (QWEN2VL, (SWIFT_MIN_PIXELS, SWIFT_MAX_PIXELS)),
             "clip": (CLIP, None), "clip_small": (CLIP_SMALL, None), "siglip": (SIGLIP, None)}
    for case, (config, swift) in cases.items():
        p = processor(config)
        entry = dict(config=config, processor=type(p).__module__ + "." + type(p).__name__, images={})
        if swift:
            entry["swift_min_pixels"], entry["swift_max_pixels"] = swift
        for i, (n, im) in enumerate(images.items()):
            given = swift_fetch_image(im, *swift) if swift else im
            bf = p(images=[given], return_tensors="pt")
            pv = bf["pixel_values"]
            e = summary(pv, seed=1000 * i + len(case))
            if "image_grid_thw" in bf:
                thw = bf["image_grid_thw"][0].tolist()
                e["grid_thw"] = thw
                e["tokens"] = thw[0] * thw[1] * thw[2] // (config["merge_size"] ** 2)
            entry["images"][n] = e
            if (case, n) in (("qwen2vl", "small.bmp"), ("clip_small", "gray.jpg"), ("qwen2vl_swift", "small.bmp")):
                full[f"{case}/{n}"] = pv.contiguous().to(torch.float32)
        result["cases"][case] = entry

    # a video as a list of frames (ms-swift accepts that): qwen-vl-utils' fetch_video fetches each frame as an
    # image, then repeats the last frame up to a multiple of FRAME_FACTOR (2); the video processor does the rest
    frames = [swift_fetch_image(load(os.path.join(out, f"frame{i}.png")), SWIFT_MIN_PIXELS, SWIFT_MAX_PIXELS)
              for i in range(5)]
    nframes = math.ceil(len(frames) / 2) * 2
    frames += [frames[-1]] * (nframes - len(frames))
    vp = processor(VIDEO, AutoVideoProcessor)
    bf = vp(videos=[frames], return_tensors="pt")
    pv = bf["pixel_values_videos"]
    thw = bf["video_grid_thw"][0].tolist()
    v = summary(pv, seed=77)
    v.update(grid_thw=thw, tokens=thw[0] * thw[1] * thw[2] // 4, frames=[f"frame{i}.png" for i in range(5)],
             config=VIDEO, processor=type(vp).__module__ + "." + type(vp).__name__,
             swift_min_pixels=SWIFT_MIN_PIXELS, swift_max_pixels=SWIFT_MAX_PIXELS)
    full["video/frames"] = pv.contiguous().to(torch.float32)
    result["video"] = v

    # frame indices of a decoded video, as qwen-vl-utils' fetch_video picks them: torch.linspace(...).round()
    sampling = []
    for total, video_fps, opts in [(120, 30.0, dict(fps=2.0)), (300, 25.0, dict(fps=1.0, max_frames=8)),
                                   (17, 10.0, dict(nframes=7)), (9, 24.0, dict(fps=2.0)), (1000, 30.0, {})]:
        if "nframes" in opts:
            n = round(opts["nframes"] / 2) * 2
        else:
            fps = opts.get("fps", 2.0)
            min_frames = math.ceil(4 / 2) * 2
            max_frames = math.floor(opts.get("max_frames", min(768, total)) / 2) * 2
            n = total / video_fps * fps
            n = min(min(max(n, min_frames), max_frames), total)
            n = math.floor(n / 2) * 2
        idx = torch.linspace(0, total - 1, n).round().long().tolist()
        sampling.append(dict(total_frames=total, video_fps=video_fps, options=opts, indices=idx))
    result["frame_sampling"] = sampling

    save_file(full, os.path.join(out, "pixels.safetensors"))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in files.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
