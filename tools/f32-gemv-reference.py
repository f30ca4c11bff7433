#!/usr/bin/env python3
"""One batch-1 F32 product x (1, K) · Wᵀ on one core, in the torch of the Debian sid chroot, three ways: the plain
product (OpenBLAS there), oneDNN's linear on a weight it reordered beforehand (what torch.compile uses on CPU) and
the F16 product for comparison; GB/s of weight bytes read, each weight cycled through copies that pass 256 MB so none
stays in the caches. The reference for docs/benchmarks.md "Where a decoded token's time goes": no F32 kernel at hand
reads faster than about 13 GB/s per core here, llama.cpp's included.

    chroot /srv/sid python3 /work/<tree>/tools/f32-gemv-reference.py [K]     (default 768, the 110M shape)
"""
import sys
import time

import torch

torch.set_num_threads(1)
K = int(sys.argv[1]) if len(sys.argv) > 1 else 768
for N in (768, 2048, 32000):
    copies = max(2, (256 << 20) // (N * K * 4))
    weights = [torch.randn(N, K) * 0.02 for _ in range(copies)]
    x = torch.randn(1, K)

    def report(name, product, nbytes):
        best = float("inf")
        for _ in range(4):
            start = time.perf_counter()
            for i in range(copies):
                product(i)
            best = min(best, (time.perf_counter() - start) / copies)
        print(f"N={N:6d} {name:28s} {best * 1e6:8.0f} µs {nbytes / best / 1e9:6.1f} GB/s", flush=True)

    report("F32 x @ W.T", lambda i: x @ weights[i].T, N * K * 4)
    packed = [torch.ops.mkldnn._reorder_linear_weight(w, 1) for w in weights]
    report("F32 oneDNN linear", lambda i: torch.ops.mkldnn._linear_pointwise(x, packed[i], None, "none", [], ""),
           N * K * 4)
    halves = [w.half() for w in weights]
    x16 = x.half()
    report("F16 x @ W.T", lambda i: x16 @ halves[i].T, N * K * 2)
