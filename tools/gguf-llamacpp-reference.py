#!/usr/bin/env python3
"""llama.cpp's greedy continuation of a token-id prompt for GGUF files Osprey wrote: the golden facts the GGUF
tests compare with Osprey's own model (GgufExporterTest pins the files by SHA-256; GgufExportTest in
distribution/itest checks Osprey's greedy tokens and probabilities against these).

Runs where llama.cpp is installed (Debian: apt-get install llama.cpp-tools python3-gguf): reads each file with
gguf-py's GGUFReader, starts llama-server on it, and asks /completion for N_PREDICT tokens at temperature 0 with
top-k 1, the prompt given as token ids (so no tokenizer is involved), with the top 3 log-probabilities of each step.

    python3 tools/gguf-llamacpp-reference.py OUT.json FILE.gguf [FILE.gguf ...]

With HF_TOKENIZER=path/to/tokenizer.json in the environment it also tokenizes TEXTS with llama-server's /tokenize
and with the Hugging Face tokenizers library on that file, records both, and fails when they differ: the check that
the file's vocabulary (a SentencePiece one as llama.cpp's `llama` tokenizer) tokenizes as the model's own does.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request

from gguf import GGUFReader

PROMPT = [1, 17, 93, 5, 44, 120, 8, 61]
N_PREDICT = 8
PORT = 18080
TEXTS = ["The quick brown fox jumps over the lazy dog.", "Hello world!  How are you today?",
         " Rome and Tokyo, 2024: 3 + 4 = 7", "models exports"]


def post(path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def greedy(path):
    server = subprocess.Popen(["llama-server", "-m", path, "--port", str(PORT), "-c", "64", "-np", "1", "-t", "1",
                               "--no-webui"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit(f"llama-server did not start on {path}")
        out = post("/completion", dict(prompt=PROMPT, n_predict=N_PREDICT, temperature=0, top_k=1, n_probs=3,
                                       cache_prompt=False, return_tokens=True, post_sampling_probs=False))
        steps = [[dict(id=p["id"], logprob=round(p["logprob"], 6)) for p in step["top_logprobs"]]
                 for step in out["completion_probabilities"]]
        result = dict(tokens=out["tokens"], top_logprobs=steps, stop_type=out.get("stop_type"))
        if os.environ.get("HF_TOKENIZER"):
            from tokenizers import Tokenizer
            hf = Tokenizer.from_file(os.environ["HF_TOKENIZER"])
            result["tokenize"] = dict(
                texts=TEXTS,
                llama_cpp=[post("/tokenize", dict(content=t, add_special=False))["tokens"] for t in TEXTS],
                hf=[hf.encode(t, add_special_tokens=False).ids for t in TEXTS])
            if result["tokenize"]["llama_cpp"] != result["tokenize"]["hf"]:
                raise SystemExit(f"{path}: llama.cpp tokenizes differently: {result['tokenize']}")
        return result
    finally:
        server.terminate()
        server.communicate(timeout=30)


def main():
    result = {"prompt": PROMPT, "n_predict": N_PREDICT,
              "llama_cpp": subprocess.run(["llama-server", "--version"], capture_output=True, text=True).stderr.strip()}
    for path in sys.argv[2:]:
        reader = GGUFReader(path)
        kind = path.rsplit("-", 1)[1].removesuffix(".gguf")
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        entry = dict(sha256=sha, tensors=len(reader.tensors), **greedy(path))
        print(path, entry["tokens"], file=sys.stderr)
        result[kind] = entry
    with open(sys.argv[1], "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
