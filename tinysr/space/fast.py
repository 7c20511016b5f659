r"""``FastMixedOp``: the mixed operation of :mod:`tinysr.space.mixed`, computed with fused convolutions.

The reference ``MixedOp`` runs the 9 candidate ops one after the other and adds their outputs::

    mixed(x) = sum_k w_k * op_k(x)   (+ aux * x)          w = softmax(alpha_l), k = 0..8

``FastMixedOp`` returns the same function of ``x``, ``w`` and the parameters -- same values, same
gradients -- and owns **the same parameters under the same names** (``ops.<k>.op.<i>.weight``), so the
two modules load each other's state dicts. Only the order of floating-point additions changes (float32
outputs differ by ~1e-6 relative, float64 by ~1e-15). Every rewrite below is an identity of linear algebra:

1. **The four plain convolutions become one 7x7 convolution.** A convolution is linear in its kernel,
   and a ``k x k`` kernel with "same" padding ``k // 2`` computes exactly what the ``7 x 7`` kernel with
   that ``k x k`` block in its centre, zeros around it and padding 3 computes: the zero taps add
   ``0 * pixel`` and the non-zero taps see the same pixels. Hence::

       sum_{k<4} w_k conv(x, W_k) = conv(x, K),    K = sum_{k<4} w_k pad7(W_k)

   ``K`` (C x C x 7 x 7, tiny) is built from ``w`` and the parameters *inside* autograd, so gradients
   flow as before: ``dL/dW_k = w_k crop_k(dL/dK)`` and ``dL/dw_k = <W_k, crop_k(dL/dK)> =
   <conv(x, W_k), dL/dout>``. Multiply-adds per pixel: ``(1 + 9 + 25 + 49) C^2 = 84 C^2 -> 49 C^2``.

2. **One ReLU for five ops.** ``sep_conv_3/5/7`` and ``dil_conv_3/5`` all start with ``ReLU(x)``: it is
   computed once and shared (autograd adds the five incoming gradients, as it did before).

3. **The mixing weights move into the last linear layer.** Each separable / dilated op ends with a
   pointwise (1x1) convolution ``P_k`` of its last map ``z_k``; scaling the output by ``w_k`` equals
   scaling the ``C x C`` matrix: ``w_k (P_k z_k) = (w_k P_k) z_k`` -- a multiply on 2,304 numbers
   instead of on an N x C x H x W map. The five products are summed straight into the 7x7 conv's output.
   On ``channels_last`` maps a pointwise conv *is* a matrix product of the pixel rows, ``(N*H*W, C) @
   P^T`` (:func:`rows` is a view, no copy), so with ``matmul`` (CPU default) every pointwise conv --
   the separable ops' first ones too -- runs as one BLAS ``mm``/``addmm``: ``out + sum_k z_k (w_k
   P_k)^T``, a chain of ``addmm``. (oneDNN's 1x1 convolutions, their backward above all, were several
   times slower than BLAS at these shapes; the former single ``5C -> C`` conv over ``cat[z_4 .. z_8]``
   also had to materialise that 5C-channel concatenation and, in the backward, split its gradient into
   strided slices that every depthwise backward copied.) Without ``matmul`` that single conv is used.

4. **Dilated depthwise convolutions run as plain ones on the four pixel phases** (CPU). A kernel with
   dilation 2 only combines pixels whose row and column have the parity of the output pixel's. Split
   the map into its four phases (even/odd rows x even/odd columns, each ``H/2 x W/2``; an odd side first
   gets one row/column of zeros, exactly the zeros the convolution pads with anyway) and stack them along
   the batch: on each phase the dilated ``k x k`` kernel is an ordinary ``k x k`` kernel with padding
   ``k // 2``. Same products, same sums -- only copies are added. And a pointwise conv acts on each pixel
   alone, so it commutes with that pixel permutation: both dilated ops are mixed (``z_7 P_7^T + z_8
   P_8^T``) *in phase order*, and the result is added back to the output in one strided pass
   (:func:`add_from_phases`) -- one split, no merge copy. It matters because oneDNN's backward kernels
   for dilated depthwise convs are very slow (at batch 16, C = 48 the kernel gradient took 40-65 ms
   against 1-4 ms for the plain one on two cores).

5. **Memory layout** (CPU): the op computes in ``channels_last`` (NHWC), where oneDNN's depthwise
   convolutions -- forward and backward -- are several times faster than in NCHW (and the 7x7 one
   faster too). Layout changes no value. The output is ``channels_last`` too; with
   :func:`tinysr.space.speed.set_channels_last` the whole supernet is NHWC end to end, so no op pays a
   layout conversion on entry.

Batching the three separable branches into grouped convolutions (their depthwise kernels zero-padded
to 7x7 and run as one ``groups=3C`` conv, their first pointwise convs as one ``groups=3`` 1x1) is exact
too, and saves kernel launches -- but it measured *slower* on both CPU (oneDNN's grouped kernels, plus
the padding's extra multiply-adds) and GPU (H200, cuDNN), so it is off by default (``grouped=True``
turns it on; the tests check it).

Multiply-adds per output pixel (forward): reference ``92 C^2 + 200 C``, fast ``57 C^2 + 200 C``
(221.6k -> 140.9k at C = 48). One caveat on the backward: the reference gets ``dL/dw_k`` for the plain
convs from their stored outputs (an elementwise product) and needs no kernel gradient when only the
alphas are trained, whereas the fused conv always computes ``dL/dK`` (49 C^2 per pixel); the 35 C^2
saved in each of the forward and the input-gradient passes still make it a net win.

Measured with ``benchmarks/search_step.py`` (paper supernet, batch 16, one released search iteration:
weight step + first-order architecture step = 3 forwards + 2 backwards; ``results/search_step_cpu.json``):
on 2 idle CPU cores 2.3x faster than the reference with OpenMP's active wait (how ``tinysr search`` runs), and
3.8x with ``OMP_WAIT_POLICY=PASSIVE`` (where the reference's many small kernels lose most to sleeping threads);
2.1x on cores shared with other jobs. The
floor is the fused 7x7 convolution (forward, input and kernel gradients, already at oneDNN's peak
multiply-add rate), about 35% of a step, plus the memory-bound depthwise/pointwise passes. On an H200
GPU, where such small steps are bound by kernel launches, the version without ``matmul`` measured 1.07x
at batch 16 and 1.3x at the paper's search batch of 64.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..ops import OPS, PRIMITIVES
from ..runtime.devices import is_host
from .mixed import sampled_op

__all__ = ["FastMixedOp", "pad_kernel", "to_phases", "from_phases", "rows", "unrows", "pointwise_sum",
           "add_from_phases"]

# Positions in PRIMITIVES (checked at import, so a reordering of the op list cannot silently break this).
_DENSE = (0, 1, 2, 3)        # conv_1x1, conv_3x3, conv_5x5, conv_7x7
_SEP = (4, 5, 6)             # sep_conv_3x3, sep_conv_5x5, sep_conv_7x7
_DIL = (7, 8)                # dil_conv_3x3, dil_conv_5x5
assert [PRIMITIVES[i] for i in _DENSE + _SEP + _DIL] == [
    "conv_1x1", "conv_3x3", "conv_5x5", "conv_7x7", "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7",
    "dil_conv_3x3", "dil_conv_5x5"]


def pad_kernel(w: torch.Tensor, size: int) -> torch.Tensor:
    """Zero-pad the last two (square, odd) dims of a conv kernel to ``size x size``, keeping it centred."""
    p = (size - w.shape[-1]) // 2
    return F.pad(w, (p, p, p, p)) if p else w


def to_phases(x: torch.Tensor) -> torch.Tensor:
    """``(N, C, H, W) -> (4N, C, ceil(H/2), ceil(W/2))``: the four pixel phases (row parity, column parity)
    stacked along the batch, phase-major; an odd side is first padded with one row/column of zeros.
    One copy; the result is ``channels_last``."""
    n, c, h, w = x.shape
    if h % 2 or w % 2:
        x = F.pad(x, (0, w % 2, 0, h % 2))
        h, w = h + h % 2, w + w % 2
    y = x.permute(0, 2, 3, 1).reshape(n, h // 2, 2, w // 2, 2, c).permute(2, 4, 0, 1, 3, 5)
    return y.reshape(4 * n, h // 2, w // 2, c).permute(0, 3, 1, 2)


def from_phases(y: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`to_phases`, cropped to ``h x w``: ``(4N, C, ceil(h/2), ceil(w/2)) -> (N, C, h, w)``."""
    n4, c, h2, w2 = y.shape
    x = y.permute(0, 2, 3, 1).reshape(2, 2, n4 // 4, h2, w2, c).permute(2, 3, 0, 4, 1, 5)
    x = x.reshape(n4 // 4, 2 * h2, 2 * w2, c).permute(0, 3, 1, 2)
    return x[:, :, :h, :w] if (2 * h2, 2 * w2) != (h, w) else x


def rows(t: torch.Tensor) -> torch.Tensor:
    """``(N, C, H, W) -> (N*H*W, C)``: the pixels as rows -- a view (no copy) of a ``channels_last`` map."""
    n, c, h, w = t.shape
    return t.permute(0, 2, 3, 1).reshape(n * h * w, c)


def unrows(m: torch.Tensor, n: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`rows`: ``(N*H*W, C) -> (N, C, H, W)``, a ``channels_last`` view."""
    return m.view(n, h, w, m.shape[1]).permute(0, 3, 1, 2)


def pointwise_sum(acc: torch.Tensor | None, pieces: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """``acc + sum_i z_i P_i^T`` over pixel rows: ``acc`` (M, C) or ``None``, each ``z_i`` (M, c_i) and
    ``P_i`` (C, c_i); one BLAS ``addmm`` per piece, no concatenated copy. Returns (M, C). (Accumulating
    in place would save the copy ``addmm`` makes of ``acc``, but an in-place op on a view costs more in
    the backward -- autograd's ``CopySlices`` clones the whole gradient -- than it saves.)"""
    for z, P in pieces:
        acc = z @ P.t() if acc is None else torch.addmm(acc, z, P.t())
    return acc


def add_from_phases(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``out + from_phases(y)`` in one pass, without materialising ``from_phases(y)``: ``out``
    (N, C, H, W) ``channels_last`` with even H and W, ``y`` (4N, C, H/2, W/2) ``channels_last`` in
    :func:`to_phases` order. The sum is a ``channels_last`` (N, C, H, W) tensor."""
    n, c, h, w = out.shape
    o6 = out.permute(0, 2, 3, 1).reshape(n, h // 2, 2, w // 2, 2, c)
    y6 = y.permute(0, 2, 3, 1).reshape(2, 2, n, h // 2, w // 2, c).permute(2, 3, 0, 4, 1, 5)
    return (o6 + y6).reshape(n, h, w, c).permute(0, 3, 1, 2)


class FastMixedOp(nn.Module):
    """Drop-in replacement for :class:`~tinysr.space.mixed.MixedOp`: same parameters (``ops``, built from
    ``OPS`` exactly as there), same ``aux`` skip weight, same ``forward(x, weights)``, same function.

    Switches (attributes; every setting computes the same values, they only change the speed):
    ``grouped`` batches the three separable branches into grouped convs (default ``False``: slower);
    ``phases`` runs the dilated convs on pixel phases, ``channels_last`` computes in NHWC and ``matmul``
    runs the pointwise convs as BLAS matrix products on pixel rows (needs ``channels_last``) -- default
    ``None`` for all three: on CPU only, where they pay. See the module docstring for the rewrites.
    """

    def __init__(self, C: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(OPS[name](C) for name in PRIMITIVES)
        self.aux = 0.0
        assert all(self.ops[k].op[1].dilation == (2, 2) for k in _DIL)    # what rewrite 4 relies on
        self.grouped: bool = False
        self.phases: bool | None = None
        self.channels_last: bool | None = None
        self.matmul: bool | None = None
        self.sampled: int | None = None           # set by the supernet: the hard sample's op, run alone

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        if self.sampled is not None:
            return sampled_op(self.ops, x, weights, self.aux, self.sampled)
        cpu = is_host(x)
        phases = cpu if self.phases is None else self.phases
        channels_last = cpu if self.channels_last is None else self.channels_last
        matmul = channels_last if self.matmul is None else (self.matmul and channels_last)
        w = weights
        x_in = x
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        N, C, H, W = x.shape
        ops = [op.op for op in self.ops]          # the nn.Sequential of each candidate op

        # 1. conv_1x1 .. conv_7x7 -> one 7x7 conv with the weighted, zero-padded kernels summed.
        K = w[_DENSE[3]] * ops[_DENSE[3]][0].weight
        for k in _DENSE[:3]:
            K = K + pad_kernel(w[k] * ops[k][0].weight, 7)
        out = F.conv2d(x, K, padding=3)

        # 2. the ReLU that opens every separable / dilated op, once.
        r = F.relu(x)

        def pw_relu(t: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:   # ReLU(1x1 conv), C -> C
            if matmul:      # ReLU in place on the fresh product (mm's backward does not need it)
                return unrows((rows(t) @ weight.view(C, C).t()).relu_(), N, H, W)
            return F.relu(F.conv2d(t, weight))

        # separable ops up to their last pointwise conv: z_k = dw2(ReLU(pw1(dw1(r)))), k = 4, 5, 6
        sep = [ops[k] for k in _SEP]
        if self.grouped:
            d1 = torch.cat([pad_kernel(s[1].weight, 7) for s in sep])          # (3C, 1, 7, 7)
            u = F.conv2d(torch.cat([r, r, r], 1), d1, padding=3, groups=3 * C)
            v = F.relu(F.conv2d(u, torch.cat([s[2].weight for s in sep]), groups=3))
            d2 = torch.cat([pad_kernel(s[4].weight, 7) for s in sep])
            z_sep = [F.conv2d(v, d2, padding=3, groups=3 * C)]                  # cat[z_4, z_5, z_6]
        else:
            z_sep = []
            for s in sep:
                p = s[1].weight.shape[-1] // 2
                v = pw_relu(F.conv2d(r, s[1].weight, padding=p, groups=C), s[2].weight)
                z_sep.append(F.conv2d(v, s[4].weight, padding=p, groups=C))

        # dilated ops up to their pointwise conv: z_k = dw_dilated(r), k = 7, 8
        dil = [ops[k][1] for k in _DIL]
        if phases:   # 4. as plain depthwise convs on the 4 pixel phases (results stay in phase order)
            rp = to_phases(r)
            z_dil = [F.conv2d(rp, d.weight, padding=d.kernel_size[0] // 2, groups=C) for d in dil]
        else:
            z_dil = [F.conv2d(r, d.weight, padding=d.padding, dilation=d.dilation, groups=C) for d in dil]

        # 3. the weights folded into the last pointwise convs: P_k <- w_k P_k, then sum_k P_k z_k
        P = [w[k] * ops[k][-1].weight.view(C, C) for k in _SEP + _DIL]        # (C, C) each
        P_sep = [torch.cat(P[:3], 1)] if self.grouped else P[:3]
        if matmul:   # pixel rows: out + sum_k z_k P_k^T, a chain of addmm on the 7x7 conv's output
            sep_rows = [(rows(z), Pk) for z, Pk in zip(z_sep, P_sep)]
            dil_rows = [(rows(z), Pk) for z, Pk in zip(z_dil, P[3:])]
            if not phases:
                out = unrows(pointwise_sum(rows(out), sep_rows + dil_rows), N, H, W)
            else:            # the dilated ops mixed in phase order (a 1x1 conv commutes with the pixel
                acc = unrows(pointwise_sum(rows(out), sep_rows), N, H, W)        # permutation)
                d = unrows(pointwise_sum(None, dil_rows), 4 * N, *z_dil[0].shape[2:])
                even = H % 2 == 0 and W % 2 == 0          # then added back in one strided pass
                out = add_from_phases(acc, d) if even else acc + from_phases(d, H, W)
        else:        # one 1x1 conv (5C -> C) over cat[z_4 .. z_8]
            if phases:
                z_dil = [from_phases(z, H, W) for z in z_dil]
            out = out + F.conv2d(torch.cat(z_sep + z_dil, 1), torch.cat(P, 1)[..., None, None])

        return out + self.aux * x_in if self.aux else out
