#!/usr/bin/env python3
"""Full fine-tuning tokens/s and peak memory of Hugging Face transformers, on exactly what
`osprey benchmark-train --train_type full --gradient_checkpointing false` runs, to print the pair side by side.

Same model folder (`osprey create-model`), same random token batches (java.util.Random(7) as
TrainBenchmarkCommand draws them, in the order the Trainer's seeded shuffle takes them), same optimizer
(torch.optim.AdamW, lr 1e-4 constant, betas 0.9/0.999, eps 1e-8, no weight decay, gradients clipped to norm 1),
one warm-up step with its own optimizer, then the measured steps with a fresh one. Peak memory is the
process's VmHWM, as Osprey reports it. Threads: torch's default (every core), as Osprey's training step.

    chroot /srv/sid python3 tools/hf-train-benchmark.py MODEL_DIR [--batch 4] [--length 256] [--steps 3]
        [--threads N] [--attn sdpa|eager] [--output FILE]

Prints one JSON object: train_tokens_per_s, step_s, the loss of each measured step, peak_rss_mib.
"""
import argparse
import json
import time

import torch
from transformers import AutoModelForCausalLM

MASK48 = (1 << 48) - 1


class JavaRandom:
    """java.util.Random: the same ints as the JVM for the same seed."""

    def __init__(self, seed):
        self.seed = (seed ^ 0x5DEECE66D) & MASK48

    def next_bits(self, bits):
        self.seed = (self.seed * 0x5DEECE66D + 0xB) & MASK48
        return self.seed >> (48 - bits)

    def next_int(self, bound):
        r = self.next_bits(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if u - r + m < (1 << 31):  # Java's int overflow test
                return r
            u = self.next_bits(31)


def shuffled(items, seed):
    """Collections.shuffle(list, new Random(seed)), taken from the end as ItemSource.shuffledEpochs does."""
    order, items = JavaRandom(seed), list(items)
    for i in range(len(items), 1, -1):
        j = order.next_int(i)
        items[i - 1], items[j] = items[j], items[i - 1]
    return items[::-1]


def vm_hwm_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's, every core)")
    ap.add_argument("--attn", default="sdpa", help="attn_implementation (transformers' default: sdpa)")
    ap.add_argument("--output")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation=args.attn)
    model.train()
    vocab = model.config.vocab_size
    data = JavaRandom(7)
    examples = []
    for _ in range(args.batch * (args.steps + 1)):
        ids = [1 + data.next_int(vocab - 1) for _ in range(args.length)]
        examples.append(ids)

    def run(items, steps):
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
        order = shuffled(items, 1)
        losses = []
        for s in range(steps):
            batch = torch.tensor(order[s * args.batch:(s + 1) * args.batch])
            labels = batch.clone()
            labels[:, 0] = -100
            loss = model(input_ids=batch, attention_mask=torch.ones_like(batch), labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
        return losses

    rss_before = vm_hwm_mib()
    run(examples[:args.batch], 1)
    start = time.perf_counter()
    losses = run(examples[args.batch:], args.steps)
    seconds = time.perf_counter() - start
    figures = dict(
        framework=f"transformers {__import__('transformers').__version__}, torch {torch.__version__}",
        attn_implementation=args.attn,
        threads=torch.get_num_threads(),
        batch=args.batch,
        length=args.length,
        steps=args.steps,
        step_s=seconds / args.steps,
        train_tokens_per_s=args.steps * args.batch * args.length / seconds,
        losses=losses,
        peak_rss_mib_before_training=rss_before,
        peak_rss_mib=vm_hwm_mib(),
    )
    text = json.dumps(figures, indent=2)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
