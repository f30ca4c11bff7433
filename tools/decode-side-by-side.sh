#!/bin/sh
# Batch-1 decode and short prefill, Osprey against llama.cpp on the same random weights, each pair in one run:
# F16 against llama.cpp F16, Osprey's int8 against Q8_0, Osprey's int4 (groups of 128) against Q4_0.
# It makes the Hugging Face folder (`osprey create-model --preset PRESET`, F16), the GGUF files from it
# (`osprey export --to_gguf`: f16 and q8_0; llama.cpp's llama-quantize: q4_0), runs llama-bench in a Debian chroot
# with llama.cpp-tools (see tools/gguf-llamacpp-reference.sh) and `osprey benchmark`, and prints each pair with its
# ratio. Keep the machine otherwise idle; it is a measurement, not a test.
#
#     tools/decode-side-by-side.sh [PRESET] [CHROOT] [THREADS]   (defaults tinyllama-1.1b, /srv/sid, nproc;
#                                                                 as root, from the repository root, built distribution)
set -eu
preset=${1:-tinyllama-1.1b}
root=${2:-/srv/sid}
threads=${3:-$(nproc)}
osprey=$PWD/distribution/target/osprey/bin/osprey
work=$root/tmp/side-by-side
rm -rf "$work" && mkdir -p "$work"
"$osprey" create-model --preset "$preset" --torch_dtype float16 --output_dir "$work/hf" > "$work/create.log"
cp bundles/export/src/test/resources/gguf/tokenizer.json bundles/export/src/test/resources/gguf/tokenizer_config.json \
    "$work/hf/"
# the exporter holds every weight as F32 while it writes
for t in f16 q8_0; do
    OSPREY_JAVA_OPTS="-Xmx12g" "$osprey" export --to_gguf --gguf_type $t --model "$work/hf" --output_dir "$work/$t" \
        > "$work/export-$t.log"
done
chroot "$root" llama-quantize /tmp/side-by-side/f16/hf-f16.gguf /tmp/side-by-side/q4_0.gguf Q4_0 > "$work/quantize.log" 2>&1
for t in f16/hf-f16 q8_0/hf-q8_0 q4_0; do
    chroot "$root" llama-bench -m /tmp/side-by-side/$t.gguf -p 32 -n 16 -r 5 -t "$threads" -o json \
        > "$work/llama-$(basename $t | sed 's/hf-//').json" 2> /dev/null
done
common="--model $work/hf --torch_dtype float16 --prompt_tokens 32 --new_tokens 16 --repeats 5"
"$osprey" benchmark $common --output "$work/osprey-f16.json" > "$work/osprey-f16.log"
"$osprey" benchmark $common --quant_bits 8 --output "$work/osprey-q8_0.json" > "$work/osprey-q8_0.log"
"$osprey" benchmark $common --quant_bits 4 --quant_type int4 --output "$work/osprey-q4_0.json" > "$work/osprey-q4_0.log"
python3 - "$work" "$preset" "$threads" <<'PY'
import json, sys
work, preset, threads = sys.argv[1:]
print(f"{preset}, {threads} threads; llama.cpp: llama-bench pp32 / tg16, mean of 5; Osprey: benchmark, median of 5")
print(f"{'pair':28} {'llama.cpp decode':>16} {'Osprey decode':>14} {'ratio':>6}  {'llama.cpp pp32':>14} {'Osprey prefill':>14} {'ratio':>6}")
for kind, label in (("f16", "F16 / F16"), ("q8_0", "int8 / Q8_0"), ("q4_0", "int4 g128 / Q4_0")):
    runs = json.load(open(f"{work}/llama-{kind}.json"))
    tg = next(r["avg_ts"] for r in runs if r["n_gen"] > 0)
    pp = next(r["avg_ts"] for r in runs if r["n_prompt"] > 0)
    o = json.load(open(f"{work}/osprey-{kind}.json"))
    od, op = o["decode_tokens_per_s"], o["prefill_tokens_per_s"]
    print(f"{label:28} {tg:16.2f} {od:14.2f} {od / tg:5.2f}x  {pp:14.1f} {op:14.1f} {op / pp:5.2f}x")
PY
