#!/bin/sh
# Serving under load, `osprey deploy` against `llama-server -np 8` on the same random weights, one after the other in
# one run: aggregate tokens/s of 1 and 8 concurrent streams (and their ratio), and the running streams' inter-token
# latency when a long prompt joins. It makes the Hugging Face folder (`osprey create-model --preset PRESET`), its
# GGUF file (`osprey export --to_gguf`, same dtype), serves each with 8 sequences at once and drives both with
# tools/serving-load.py (streamed /v1/completions, token-id prompts, greedy). llama.cpp runs in a Debian chroot with
# llama.cpp-tools (see tools/gguf-llamacpp-reference.sh). Keep the machine otherwise idle: a measurement, not a test.
#
#     tools/serving-side-by-side.sh [PRESET] [DTYPE] [CHROOT] [THREADS]   (defaults 110m, f32, /srv/sid, nproc;
#                                                                         as root, from the repository root, built
#                                                                         distribution)
set -eu
preset=${1:-110m}
dtype=${2:-f32}
root=${3:-/srv/sid}
threads=${4:-$(nproc)}
osprey=$PWD/distribution/target/osprey/bin/osprey
load="python3 $PWD/tools/serving-load.py"
work=$root/tmp/serving-side-by-side
port=18431
rm -rf "$work" && mkdir -p "$work"
case $dtype in f32) torch_dtype=float32 ;; f16) torch_dtype=float16 ;; *) echo "DTYPE: f32 or f16" >&2; exit 2 ;; esac
"$osprey" create-model --preset "$preset" --torch_dtype $torch_dtype --output_dir "$work/hf" > "$work/create.log"
# a vocabulary as large as the model's, so that every generated token streams text (tools/make-bench-tokenizer.py)
cp tools/make-bench-tokenizer.py "$work/"
chroot "$root" python3 /tmp/serving-side-by-side/make-bench-tokenizer.py /tmp/serving-side-by-side/hf \
    "$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['vocab_size'])" "$work/hf/config.json")"
OSPREY_JAVA_OPTS="-Xmx12g" "$osprey" export --to_gguf --gguf_type "$dtype" --model "$work/hf" --output_dir "$work/gguf" \
    > "$work/export.log"

wait_ready() { # $1: a URL that answers 200 once the model is loaded
    for _ in $(seq 600); do
        curl -sf "$1" > /dev/null 2>&1 && return 0
        sleep 1
    done
    echo "server at $1 did not start; see $work/*.log" >&2
    exit 1
}

stop_server() { # the launcher's children too (osprey's java)
    pkill -P $server 2> /dev/null || true
    kill $server 2> /dev/null || true
    wait $server 2> /dev/null || true
}

# 8 slots of 1024 tokens: room for the long prompt (768) and its answer in any slot
chroot "$root" llama-server -m /tmp/serving-side-by-side/gguf/hf-$dtype.gguf -np 8 -c 8192 -t "$threads" \
    --host 127.0.0.1 --port $port > "$work/llama-server.log" 2>&1 &
server=$!
wait_ready http://127.0.0.1:$port/health
$load http://127.0.0.1:$port > "$work/llama.jsonl"
stop_server

"$osprey" deploy --model "$work/hf" --served_model_name bench --torch_dtype $torch_dtype --max_num_seqs 8 \
    --port $port > "$work/osprey.log" 2>&1 &
server=$!
wait_ready http://127.0.0.1:$port/v1/models
$load http://127.0.0.1:$port > "$work/osprey.jsonl"
stop_server

python3 - "$work" "$preset" "$dtype" "$threads" <<'PY'
import json, sys
work, preset, dtype, threads = sys.argv[1:]
runs = {k: [json.loads(l) for l in open(f"{work}/{k}.jsonl")] for k in ("llama", "osprey")}
def pick(k, scenario, key, value):
    return next(r for r in runs[k] if r["scenario"] == scenario and r[key] == value)
print(f"{preset} {dtype}, {threads} threads; llama-server -np 8 against osprey deploy --max_num_seqs 8")
print(f"{'figure':44} {'llama-server':>12} {'Osprey':>10} {'ratio':>6}")
def row(label, a, b, higher_is_better=True):
    ratio = b / a if higher_is_better else a / b
    print(f"{label:44} {a:12.1f} {b:10.1f} {ratio:5.2f}x")
for n in sorted({r["streams"] for r in runs["llama"] if r["scenario"] == "streams"}):
    row(f"{n} stream(s), aggregate tokens/s", pick("llama", "streams", "streams", n)["tokens_per_s"],
        pick("osprey", "streams", "streams", n)["tokens_per_s"])
for k, name in (("llama", "llama-server"), ("osprey", "Osprey")):
    s = {r["streams"]: r["tokens_per_s"] for r in runs[k] if r["scenario"] == "streams"}
    if 1 in s and 8 in s:
        print(f"{name}: 8 streams / 1 stream = {s[8] / s[1]:.2f}x")
for long in (0, max(r["long_prompt"] for r in runs["llama"] if r["scenario"] == "long")):
    a, b = pick("llama", "long", "long_prompt", long), pick("osprey", "long", "long_prompt", long)
    what = f"a {long}-token prompt joining" if long else "no long prompt"
    row(f"{a['streams']} streams, {what}: ITL p99 (ms)", a["itl_p99_ms"], b["itl_p99_ms"], False)
    row(f"{a['streams']} streams, {what}: longest gap (ms)", a["itl_max_ms"], b["itl_max_ms"], False)
    if long:
        row(f"the {long}-token prompt's first token (ms)", a["long_ttft_ms"], b["long_ttft_ms"], False)
print("ratio: Osprey's advantage (above 1: Osprey faster or shorter)")
PY
