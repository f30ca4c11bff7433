#!/bin/sh
# Exports the reference llama and qwen2 checkpoints (with the test tokenizer) to GGUF f32, f16 and q8_0 with the
# built distribution's `osprey export --to_gguf`, runs llama.cpp on each file in a Debian chroot that has
# llama.cpp-tools and python3-gguf, and writes llama.cpp's greedy tokens to
# bundles/export/src/test/resources/gguf/llamacpp-MODEL.json. Then the k-quant check: the checkpoint of
# tools/gguf-kquant-reference.py exported as q4_k_m, q5_k_m and q6_k and compared, tensor by tensor, with what
# llama.cpp's llama-quantize makes of its F32 export (llamacpp-kquant.json), and the qwen2 reference as q4_k_m (its
# tied embedding and 32-wide rows take the mix's fallbacks; llamacpp-qwen2-kquant.json). And scaled RoPE: the reference
# llama with each rope_parameters of rope-variants.json (linear, llama3, yarn) in F32 (llamacpp-llama-rope.json). And
# SentencePiece vocabularies (tools/make-spm-tokenizer.py made them) on the reference mistral and gemma
# (llamacpp-mistral.json, llamacpp-gemma.json, with llama.cpp's and tokenizers' ids for a few texts).
#
#     tools/gguf-llamacpp-reference.sh [CHROOT]      (default /srv/sid; run from the repository root, as root)
set -eu
root=${1:-/srv/sid}
work=$root/tmp/gguf
osprey=$PWD/distribution/target/osprey/bin/osprey
fixtures=$PWD/bundles/export/src/test/resources/gguf
rm -rf "$work/models" && mkdir -p "$work/models"
cp tools/gguf-llamacpp-reference.py tools/gguf-kquant-reference.py "$work/"
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
        "$osprey" export --to_gguf --gguf_type $t --model "$model" --output_dir "$work/models/$name-$t"
        files="$files /tmp/gguf/models/$name-$t/$name-$t.gguf"
    done
    chroot "$root" python3 /tmp/gguf/gguf-llamacpp-reference.py /tmp/gguf/llamacpp-$name.json $files
    cp "$work/llamacpp-$name.json" "$fixtures/"
done
# SentencePiece vocabularies: Mistral from tokenizer.json alone (its sliding window dropped, as llama.cpp's llama
# architecture has none), Gemma from tokenizer.model; llama.cpp's tokens for texts are checked against tokenizers'
for m in llama/mistral:spm gemma/gemma:spm-gemma; do
    ref=${m%%:*}
    name=${ref#*/}
    model=$work/models/$name
    mkdir -p "$model"
    cp plugins-models/${ref%/*}/src/test/resources/reference/$name/config.json \
        plugins-models/${ref%/*}/src/test/resources/reference/$name/model.safetensors "$model/"
    cp "$fixtures/${m#*:}"/tokenizer* "$model/"
    if [ $name = mistral ]; then
        rm "$model/tokenizer.model"
        python3 -c "import json, sys; c = json.load(open(sys.argv[1])); c['sliding_window'] = None; \
json.dump(c, open(sys.argv[1], 'w'), indent=1)" "$model/config.json"
    fi
    files=""
    for t in f32 q8_0; do
        "$osprey" export --to_gguf --gguf_type $t --model "$model" --output_dir "$work/models/$name-$t"
        files="$files /tmp/gguf/models/$name-$t/$name-$t.gguf"
    done
    HF_TOKENIZER=/tmp/gguf/models/$name/tokenizer.json \
        chroot "$root" python3 /tmp/gguf/gguf-llamacpp-reference.py /tmp/gguf/llamacpp-$name.json $files
    cp "$work/llamacpp-$name.json" "$fixtures/"
done

# Gemma 2 (query_pre_attn_scalar set to head_dim, as llama.cpp scales queries, and the head tied, as llama.cpp
# ties it) and Gemma 3 (the 6-layer fixture of
# tools/make-gguf-gemma3-fixture.py: llama.cpp makes every 6th layer global), both with the Gemma tokenizer
for name in gemma2 gemma3-text-6; do
    model=$work/models/$name
    mkdir -p "$model"
    if [ $name = gemma2 ]; then
        cp plugins-models/gemma/src/test/resources/reference/gemma2/config.json \
            plugins-models/gemma/src/test/resources/reference/gemma2/model.safetensors "$model/"
        python3 -c "import json, sys; c = json.load(open(sys.argv[1])); c['query_pre_attn_scalar'] = c['head_dim']; \
c['tie_word_embeddings'] = True; json.dump(c, open(sys.argv[1], 'w'), indent=1)" "$model/config.json"
    else
        cp "$fixtures/$name"/* "$model/"
    fi
    cp "$fixtures"/spm-gemma/tokenizer* "$model/"
    "$osprey" export --to_gguf --gguf_type f32 --model "$model" --output_dir "$work/models/$name-f32"
    chroot "$root" python3 /tmp/gguf/gguf-llamacpp-reference.py /tmp/gguf/llamacpp-$name.json \
        /tmp/gguf/models/$name-f32/$name-f32.gguf
    cp "$work/llamacpp-$name.json" "$fixtures/"
done

# scaled rope: the reference llama with each rope_parameters of rope-variants.json, as llama-VARIANT.gguf
mkdir -p "$work/models/rope"
files=""
for v in linear llama3 yarn; do
    cp -r "$work/models/llama" "$work/models/rope-$v"
    python3 -c "import json, sys; c = json.load(open(sys.argv[1])); \
c['rope_parameters'] = json.load(open(sys.argv[2]))[sys.argv[3]]; json.dump(c, open(sys.argv[1], 'w'), indent=1)" \
        "$work/models/rope-$v/config.json" "$fixtures/rope-variants.json" $v
    "$osprey" export --to_gguf --gguf_type f32 --model "$work/models/rope-$v" --output_dir "$work/models/rope-$v-f32"
    cp "$work/models/rope-$v-f32/rope-$v-f32.gguf" "$work/models/rope/llama-$v.gguf"
    files="$files /tmp/gguf/models/rope/llama-$v.gguf"
done
chroot "$root" python3 /tmp/gguf/gguf-llamacpp-reference.py /tmp/gguf/llamacpp-llama-rope.json $files
cp "$work/llamacpp-llama-rope.json" "$fixtures/"

"$osprey" export --to_gguf --gguf_type q4_k_m --model "$work/models/qwen2" --output_dir "$work/models/qwen2-q4_k_m"
chroot "$root" python3 /tmp/gguf/gguf-kquant-reference.py compare /tmp/gguf/llamacpp-qwen2-kquant.json \
    /tmp/gguf/models/qwen2-f32/qwen2-f32.gguf q4_k_m=/tmp/gguf/models/qwen2-q4_k_m/qwen2-q4_k_m.gguf

chroot "$root" python3 /tmp/gguf/gguf-kquant-reference.py make /tmp/gguf/models/kquant
cp "$fixtures"/tokenizer.json "$fixtures"/tokenizer_config.json "$work/models/kquant/"
pairs=""
for t in f32 q4_k_m q5_k_m q6_k; do
    "$osprey" export --to_gguf --gguf_type $t --model "$work/models/kquant" --output_dir "$work/models/kquant-$t"
    [ $t = f32 ] || pairs="$pairs $t=/tmp/gguf/models/kquant-$t/kquant-$t.gguf"
done
chroot "$root" python3 /tmp/gguf/gguf-kquant-reference.py compare /tmp/gguf/llamacpp-kquant.json \
    /tmp/gguf/models/kquant-f32/kquant-f32.gguf $pairs
cp "$work/llamacpp-qwen2-kquant.json" "$work/llamacpp-kquant.json" "$fixtures/"
