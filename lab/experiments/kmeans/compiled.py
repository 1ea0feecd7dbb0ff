"""One Lloyd pass compiled with numba: assign, count changes, per-cluster sums and counts, inertia.

`lloyd_pass` reads X once (as its feature rows, in blocks of `BLOCK` points) and does in that
sweep what the numpy step in `lloyd.py` does in several: the nearest centre of every point,
how many points changed cluster, the per-cluster sums (in point order) and counts, and the
summed squared distances of the assignment.

The arithmetic is scikit-learn's, operation for operation, so that exact ties break alike:
its ``_update_chunk_dense`` fills the distances with ``||c||^2`` and adds ``-2 X C^T`` by one
GEMM; OpenBLAS's double kernels (checked bit for bit against scipy's ``dgemm``, the one
scikit-learn calls, on this machine's SkylakeX kernels, for up to ``lloyd.COMPILED_MAX_FEATURES`` features)
form each dot product as fused multiply-adds in feature order, starting from 0, and add
``-2 * dot`` to ``||c||^2`` with one rounding. `_fma` is LLVM's ``llvm.fma.f64``: one
rounding, whatever the compiler would otherwise contract. The nearest centre is the first
strictly smaller distance, so a tie goes to the lowest index. Beyond that many features
OpenBLAS splits the dot product differently, and the numpy step (the same BLAS) is used.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

#: Points per block: their feature rows, distances and labels stay in the L1 cache.
BLOCK = 128


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with one rounding (LLVM's fma intrinsic; a hardware instruction on x86-64 with FMA)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(double, [double] * 3), "llvm.fma.f64")
        return builder.call(fn, args)

    return sig, codegen


@njit(cache=True)
def lloyd_pass(xt, xsq, centers, center_sq, labels_old, labels, sums, counts):
    """Assign every point (columns of the feature rows `xt`) to its nearest centre.

    Writes `labels`, the per-cluster `sums` (k x d) and `counts`; returns (inertia, changed):
    the summed squared distances ``||x||^2 + ||c||^2 - 2 x.c`` (with `xsq` the ``||x||^2``) and
    the number of points whose label differs from `labels_old`.
    """
    d, n = xt.shape
    k = centers.shape[0]
    sums[:] = 0.0
    counts[:] = 0.0
    acc = np.empty(BLOCK)
    best = np.empty(BLOCK)
    nearest = np.empty(BLOCK, dtype=np.int64)
    fours = d - d % 4
    inertia = 0.0
    changed = 0
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        # one-dimensional views: numba vectorizes loops over them (not over 2-D indexing)
        a, b, near = acc[:m], best[:m], nearest[:m]
        b[:] = np.inf
        near[:] = 0
        for j in range(k):
            a[:] = 0.0
            for f in range(0, fours, 4):  # four features a sweep (fewer loads and stores of `a`), in order
                c0, c1, c2, c3 = centers[j, f], centers[j, f + 1], centers[j, f + 2], centers[j, f + 3]
                r0, r1 = xt[f, start:start + m], xt[f + 1, start:start + m]
                r2, r3 = xt[f + 2, start:start + m], xt[f + 3, start:start + m]
                for i in range(m):
                    a[i] = _fma(r3[i], c3, _fma(r2[i], c2, _fma(r1[i], c1, _fma(r0[i], c0, a[i]))))
            for f in range(fours, d):
                c = centers[j, f]
                row = xt[f, start:start + m]
                for i in range(m):
                    a[i] = _fma(row[i], c, a[i])
            norm = center_sq[j]
            for i in range(m):
                dist = norm + -2.0 * a[i]
                closer = dist < b[i]
                b[i] = dist if closer else b[i]
                near[i] = j if closer else near[i]
        for i in range(m):
            p = start + i
            j = near[i]
            labels[p] = j
            changed += j != labels_old[p]
            counts[j] += 1.0
            inertia += xsq[p] + b[i]
        for f in range(d):
            row = xt[f, start:start + m]
            total = sums[:, f]
            for i in range(m):
                total[near[i]] += row[i]
    return inertia, changed
