"""Writes packed_kernels.pt: a TorchScript module whose methods run PyTorch's CPU weight-only kernels.

DJL 0.36 has no way to call an arbitrary aten operator, but it runs the methods of a TorchScript module
(ai.djl.pytorch.jni.IValueUtils.runMethod). This module has no parameters: each method takes every tensor
it needs. Its archive is TorchScript file format version 3, which the libtorch 2.7.1 of DJL 0.36 reads
although the torch that writes it (sid's) is newer.

The products run in BF16: in PyTorch 2.7.1 the x86 (AVX2/AVX-512) code of _weight_int8pack_mm and
_weight_int4pack_mm_for_cpu is vectorized for BF16 activations only; F32 and F16 activations take a scalar
loop 10 to 50 times slower than a dense F32 product (docs/benchmarks.md). DJL cannot hold BF16 arrays
(converting one aborts the JVM), so the conversions happen here and Java only sees x's own type.

Run: chroot /srv/sid python3 /work/<tree>/tools/int8mm/make_packed_kernels.py \
         /work/<tree>/bundles/model/src/main/resources/dev/osprey/model/nn/packed_kernels.pt
"""
import sys

import torch


class PackedKernels(torch.nn.Module):
    def forward(self, x: torch.Tensor, codes: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        return self.int8_mm(x, codes, scales)

    @torch.jit.export
    def int8_mm(self, x: torch.Tensor, codes: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        # x (..., K) F32/F16, codes (N, K) int8, scales N values (any shape) -> (..., N) in x's type
        rows = x.reshape(-1, x.size(-1)).to(torch.bfloat16)  # (M, K)
        y = torch.ops.aten._weight_int8pack_mm(rows, codes, scales.reshape(-1).to(torch.bfloat16))  # (M, N)
        shape = x.size()[:-1] + [codes.size(0)]
        return y.to(x.dtype).reshape(shape)

    @torch.jit.export
    def int4_pack(self, codes: torch.Tensor) -> torch.Tensor:
        # codes (N, K) int32 in 0..15 -> (N, K / 2) uint8 in the kernel's layout
        return torch.ops.aten._convert_weight_to_int4pack_for_cpu(codes, 8)

    @torch.jit.export
    def int4_mm(self, x: torch.Tensor, packed: torch.Tensor, scale_and_zero: torch.Tensor) -> torch.Tensor:
        # x (..., K), packed (N, K / 2) uint8, scale_and_zero (K / group, N, 2) F32: w = (q - 8) * scale + zero;
        # the group size follows from the shapes -> (..., N) in x's type
        rows = x.reshape(-1, x.size(-1)).to(torch.bfloat16)  # (M, K)
        group = rows.size(1) // scale_and_zero.size(0)
        y = torch.ops.aten._weight_int4pack_mm_for_cpu(rows, packed, group, scale_and_zero.to(torch.bfloat16))
        shape = x.size()[:-1] + [packed.size(0)]
        return y.to(x.dtype).reshape(shape)


if __name__ == "__main__":
    torch.jit.script(PackedKernels()).save(sys.argv[1])
