#!/bin/sh
# Exports the reference llama and qwen2 checkpoints (with the test tokenizer) to GGUF f32, f16 and q8_0 with the
# built distribution's `osprey export --quant_method gguf`, runs llama.cpp on each file in a Debian chroot that has
# llama.cpp-tools and python3-gguf, and writes llama.cpp's greedy tokens to
# bundles/export/src/test/resources/gguf/llamacpp-MODEL.json.
#
#     tools/gguf-llamacpp-reference.sh [CHROOT]      (default /srv/sid; run from the repository root, as root)
set -eu
root=${1:-/srv/sid}
work=$root/tmp/gguf
osprey=$PWD/distribution/target/osprey/bin/osprey
fixtures=$PWD/bundles/export/src/test/resources/gguf
rm -rf "$work/models" && mkdir -p "$work/models"
cp tools/gguf-llamacpp-reference.py "$work/"
for m in llama/llama qwen/qwen2; do
    name=${m#*/}
    model=$work/models/$name
    mkdir -p "$model"
    cp plugins-models/${m%/*}/src/test/resources/reference/$name/*.json \
        plugins-models/${m%/*}/src/test/resources/reference/$name/model.safetensors "$model/"
    rm -f "$model/reference.json"
    cp "$fixtures"/tokenizer.json "$fixtures"/tokenizer_config.json "$model/"
    files=""
    for t in f32 f16 q8_0; do
        "$osprey" export --quant_method gguf --gguf_type $t --model "$model" --output_dir "$work/models/$name-$t"
        files="$files /tmp/gguf/models/$name-$t/$name-$t.gguf"
    done
    chroot "$root" python3 /tmp/gguf/gguf-llamacpp-reference.py /tmp/gguf/llamacpp-$name.json $files
    cp "$work/llamacpp-$name.json" "$fixtures/"
done
