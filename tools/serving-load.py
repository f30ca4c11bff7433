#!/usr/bin/env python3
"""Drives an OpenAI-compatible server (`osprey deploy`, `llama-server`, vLLM) with concurrent streamed
/v1/completions requests and prints, as JSON lines, what each scenario measured:

- `streams`: N streams at once (random token-id prompts, greedy, `max_tokens` each), for each N of --streams:
  aggregate completion tokens/s over the wall time, inter-token latency (ITL) p50/p99, time to first token p50;
- `long`: --long_streams streams decoding, and once each has 8 tokens a --long-token prompt joins; reported with and
  without that prompt: the running streams' ITL p50/p99 and longest gap, and the long prompt's time to first token.

Throughput counts the completion tokens each server reports in its usage (`stream_options.include_usage`), or the
streamed events that carry a choice where it reports none; inter-token latency is the time between those events.
Standard library only, so it runs on any Python 3.8+. It is a measurement, not a test: keep the machine otherwise
idle.

    tools/serving-load.py URL [--streams 1,8] [--prompt 16] [--max_tokens 64] [--long 768] [--long_streams 4]
"""
import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse


def stream(url, model, prompt, max_tokens, on_token=None):
    """One streamed completion; returns (send time, [event times], usage or None)."""
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=900)
    body = json.dumps({
        "model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True,
        "stream_options": {"include_usage": True},
    })
    sent = time.perf_counter()
    conn.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{url}: HTTP {response.status}: {response.read()[:500]!r}")
    times, usage = [], None
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        event = json.loads(data)
        if event.get("usage"):
            usage = event["usage"]
        if event.get("choices"):
            times.append(time.perf_counter())
            if on_token:
                on_token(len(times))
    conn.close()
    return sent, times, usage


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))] if s else float("nan")


def gaps_ms(results):
    """The time between consecutive events of each stream, in ms, over all streams."""
    return [(b - a) * 1e3 for _, times, _ in results for a, b in zip(times, times[1:])]


def prompts(rng, count, length, vocab):
    return [[rng.randrange(10, vocab) for _ in range(length)] for _ in range(count)]


def run_streams(args, n, rng):
    results = [None] * n
    batch = prompts(rng, n, args.prompt, args.vocab)

    def one(i):
        results[i] = stream(args.url, args.model, batch[i], args.max_tokens)

    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    # the usage a server reports counts tokens exactly; events may include a last one that only finishes
    reported = all(r[2] and "completion_tokens" in r[2] for r in results)
    tokens = sum(r[2]["completion_tokens"] if reported else len(r[1]) for r in results)
    itl = gaps_ms(results)
    ttft = [(r[1][0] - r[0]) * 1e3 for r in results if r[1]]
    return {
        "scenario": "streams", "streams": n, "tokens": tokens, "wall_s": round(wall, 3),
        "tokens_per_s": round(tokens / wall, 2),
        "itl_p50_ms": round(percentile(itl, 50), 1), "itl_p99_ms": round(percentile(itl, 99), 1),
        "ttft_p50_ms": round(percentile(ttft, 50), 1),
        "tokens_counted_by": "usage" if reported else "events",
    }


def run_long(args, rng, with_long):
    n = args.long_streams
    batch = prompts(rng, n, args.prompt, args.vocab)
    long_prompt = prompts(rng, 1, args.long, args.vocab)[0]
    results = [None] * n
    eighth = threading.Barrier(n + 1)
    passed = [False] * n

    def one(i):
        def seen(count):
            if count == 8 and not passed[i]:
                passed[i] = True
                eighth.wait()
        results[i] = stream(args.url, args.model, batch[i], args.max_tokens, seen)
        if not passed[i]:  # a stream that ended before its 8th token must not hold the others
            passed[i] = True
            eighth.wait()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    eighth.wait()
    long_ttft = float("nan")
    if with_long:
        sent, times, _ = stream(args.url, args.model, long_prompt, 8)
        long_ttft = (times[0] - sent) * 1e3 if times else float("nan")
    for t in threads:
        t.join()
    itl = gaps_ms(results)
    return {
        "scenario": "long", "long_prompt": args.long if with_long else 0, "streams": n,
        "itl_p50_ms": round(percentile(itl, 50), 1), "itl_p99_ms": round(percentile(itl, 99), 1),
        "itl_max_ms": round(max(itl), 1), "long_ttft_ms": round(long_ttft, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--model", default="bench")
    parser.add_argument("--streams", default="1,8")
    parser.add_argument("--prompt", type=int, default=16)
    parser.add_argument("--max_tokens", type=int, default=64)
    parser.add_argument("--long", type=int, default=768)
    parser.add_argument("--long_streams", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    stream(args.url, args.model, prompts(rng, 1, args.prompt, args.vocab)[0], 8)  # warm-up
    for n in (int(s) for s in args.streams.split(",")):
        print(json.dumps(run_streams(args, n, rng)), flush=True)
    if args.long > 0:
        print(json.dumps(run_long(args, rng, False)), flush=True)
        print(json.dumps(run_long(args, rng, True)), flush=True)


if __name__ == "__main__":
    main()
