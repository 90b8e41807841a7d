using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinkerServer.Infrastructure.Compute.Reference.Kernels;

/// <summary>
/// Matrix products on row-major float arrays with explicit leading dimensions. The workhorse is the "NT" form
/// Y = alpha * X·Wᵀ with W in HF [out, in] layout: both operands are contiguous along K, so a 4x4 register tile
/// of Vector256 FMA accumulators needs no packing. Jobs are 64x64 output blocks (W-block-major so a W panel stays
/// in cache across X blocks). Every output element is computed by one thread with one fixed reduction order
/// (8-lane FMA chains, horizontal sum, then the scalar K tail), whatever the tile it falls in, so results are
/// bit-identical across runs, thread counts and batch compositions.
/// </summary>
internal static unsafe class Gemm
{
    private const int Block = 64;
    private const long ParallelFlops = 1L << 18;

    /// <summary>Upper bound on threads a single product uses.</summary>
    public static int MaxThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>Y[m,n] (+)= alpha · X[m,k] · W[n,k]ᵀ.</summary>
    public static void NT(
        float[] x, int xOffset, int ldx,
        float[] w, int wOffset, int ldw,
        float[] y, int yOffset, int ldy,
        int m, int n, int k, float alpha = 1f, bool accumulate = false, bool parallel = true)
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }

        var rowBlocks = (m + Block - 1) / Block;
        var colBlocks = (n + Block - 1) / Block;
        var jobs = rowBlocks * colBlocks;
        var flops = 2L * m * n * k;

        // Decode-sized products are memory-bound: below a few MB of weights, waking a second thread costs more
        // than it saves.
        var worthIt = m >= 4 ? flops >= ParallelFlops : (long)n * k >= 1 << 20;
        if (!parallel || jobs == 1 || !worthIt || MaxThreads <= 1)
        {
            fixed (float* px = x, pw = w, py = y)
            {
                for (var job = 0; job < jobs; job++)
                {
                    RunJob(job, rowBlocks, px + xOffset, ldx, pw + wOffset, ldw, py + yOffset, ldy, m, n, k, alpha, accumulate);
                }
            }

            return;
        }

        Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = MaxThreads }, job =>
        {
            fixed (float* px = x, pw = w, py = y)
            {
                RunJob(job, rowBlocks, px + xOffset, ldx, pw + wOffset, ldw, py + yOffset, ldy, m, n, k, alpha, accumulate);
            }
        });
    }

    /// <summary>C[m,n] (+)= alpha · P[s,m]ᵀ · Q[s,n] (a reduction over rows), with no transposes.</summary>
    public static void TN(float[] p, int m, float[] q, int n, int s, float[] c, float alpha = 1f, bool accumulate = false, bool parallel = true) =>
        Outer(p, 0, 1, m, q, 0, n, c, 0, n, m, n, s, alpha, accumulate, parallel);

    /// <summary>C[m,n] (+)= alpha · P[s,m]ᵀ · Q[s,n] on strided blocks.</summary>
    public static void TN(float[] p, int pOffset, int ldp, float[] q, int qOffset, int ldq, float[] c, int cOffset, int ldc, int m, int n, int s, float alpha = 1f, bool accumulate = false, bool parallel = true) =>
        Outer(p, pOffset, 1, ldp, q, qOffset, ldq, c, cOffset, ldc, m, n, s, alpha, accumulate, parallel);

    /// <summary>C[m,n] (+)= alpha · A[m,k] · B[k,n], all row-major.</summary>
    public static void NN(float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float[] c, int cOffset, int ldc, int m, int n, int k, float alpha = 1f, bool accumulate = false, bool parallel = true) =>
        Outer(a, aOffset, lda, 1, b, bOffset, ldb, c, cOffset, ldc, m, n, k, alpha, accumulate, parallel);

    /// <summary>
    /// Outer-product kernel: C[i,j] (+)= alpha · Σ_k A(i,k)·B[k,j] with A(i,k) = a[aOffset + i·rowStride + k·colStride]
    /// (so it serves both A·B and Pᵀ·Q). 4x32 register tiles (broadcast A, 4 vectors of B), k in order with FMA,
    /// edges computed with scalar FMA in the same order, so every element is bit-identical wherever it falls.
    /// </summary>
    private static void Outer(float[] a, int aOffset, int rowStride, int colStride, float[] b, int bOffset, int ldb, float[] c, int cOffset, int ldc, int m, int n, int k, float alpha, bool accumulate, bool parallel)
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }

        var rowBlocks = (m + Block - 1) / Block;
        var colBlocks = (n + Block - 1) / Block;
        var jobs = rowBlocks * colBlocks;
        if (!parallel || jobs == 1 || 2L * m * n * k < ParallelFlops || MaxThreads <= 1)
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                for (var job = 0; job < jobs; job++)
                {
                    OuterJob(job, rowBlocks, pa + aOffset, rowStride, colStride, pb + bOffset, ldb, pc + cOffset, ldc, m, n, k, alpha, accumulate);
                }
            }

            return;
        }

        Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = MaxThreads }, job =>
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                OuterJob(job, rowBlocks, pa + aOffset, rowStride, colStride, pb + bOffset, ldb, pc + cOffset, ldc, m, n, k, alpha, accumulate);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterJob(int job, int rowBlocks, float* a, int rs, int cs, float* b, int ldb, float* c, int ldc, int m, int n, int k, float alpha, bool accumulate)
    {
        var colBlock = job / rowBlocks;
        var rowBlock = job % rowBlocks;
        var i0 = rowBlock * Block;
        var i1 = Math.Min(m, i0 + Block);
        var j0 = colBlock * Block;
        var j1 = Math.Min(n, j0 + Block);
        var i = i0;
        for (; i + 4 <= i1; i += 4)
        {
            var j = j0;
            for (; j + 32 <= j1; j += 32)
            {
                OuterTile4x32(a + ((long)i * rs), rs, cs, b + j, ldb, c + ((long)i * ldc) + j, ldc, k, alpha, accumulate);
            }

            for (; j + 8 <= j1; j += 8)
            {
                OuterTile4x8(a + ((long)i * rs), rs, cs, b + j, ldb, c + ((long)i * ldc) + j, ldc, k, alpha, accumulate);
            }

            for (var r = 0; r < 4; r++)
            {
                OuterScalar(a + ((long)(i + r) * rs), cs, b, ldb, c + ((long)(i + r) * ldc), j, j1, k, alpha, accumulate);
            }
        }

        for (; i < i1; i++)
        {
            OuterScalar(a + ((long)i * rs), cs, b, ldb, c + ((long)i * ldc), j0, j1, k, alpha, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterScalar(float* aRow, int cs, float* b, int ldb, float* cRow, int j0, int j1, int k, float alpha, bool accumulate)
    {
        for (var j = j0; j < j1; j++)
        {
            var acc = 0f;
            for (var t = 0; t < k; t++)
            {
                acc = MathF.FusedMultiplyAdd(aRow[(long)t * cs], b[((long)t * ldb) + j], acc);
            }

            Store(cRow + j, acc, alpha, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterTile4x32(float* a, int rs, int cs, float* b, int ldb, float* c, int ldc, int k, float alpha, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        var a0 = a;
        var a1 = a + rs;
        var a2 = a1 + rs;
        var a3 = a2 + rs;
        for (var t = 0; t < k; t++)
        {
            var bRow = b + ((long)t * ldb);
            var b0 = Vector256.Load(bRow);
            var b1 = Vector256.Load(bRow + 8);
            var b2 = Vector256.Load(bRow + 16);
            var b3 = Vector256.Load(bRow + 24);
            var off = (long)t * cs;
            var x = Vector256.Create(a0[off]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(x, b2, c02);
            c03 = Vector256.FusedMultiplyAdd(x, b3, c03);
            x = Vector256.Create(a1[off]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(x, b2, c12);
            c13 = Vector256.FusedMultiplyAdd(x, b3, c13);
            x = Vector256.Create(a2[off]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            c22 = Vector256.FusedMultiplyAdd(x, b2, c22);
            c23 = Vector256.FusedMultiplyAdd(x, b3, c23);
            x = Vector256.Create(a3[off]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            c32 = Vector256.FusedMultiplyAdd(x, b2, c32);
            c33 = Vector256.FusedMultiplyAdd(x, b3, c33);
        }

        StoreRow(c, c00, c01, c02, c03, alpha, accumulate);
        StoreRow(c + ldc, c10, c11, c12, c13, alpha, accumulate);
        StoreRow(c + (2L * ldc), c20, c21, c22, c23, alpha, accumulate);
        StoreRow(c + (3L * ldc), c30, c31, c32, c33, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterTile4x8(float* a, int rs, int cs, float* b, int ldb, float* c, int ldc, int k, float alpha, bool accumulate)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        var a0 = a;
        var a1 = a + rs;
        var a2 = a1 + rs;
        var a3 = a2 + rs;
        for (var t = 0; t < k; t++)
        {
            var bv = Vector256.Load(b + ((long)t * ldb));
            var off = (long)t * cs;
            c0 = Vector256.FusedMultiplyAdd(Vector256.Create(a0[off]), bv, c0);
            c1 = Vector256.FusedMultiplyAdd(Vector256.Create(a1[off]), bv, c1);
            c2 = Vector256.FusedMultiplyAdd(Vector256.Create(a2[off]), bv, c2);
            c3 = Vector256.FusedMultiplyAdd(Vector256.Create(a3[off]), bv, c3);
        }

        var al = Vector256.Create(alpha);
        Store8(c, c0 * al, accumulate);
        Store8(c + ldc, c1 * al, accumulate);
        Store8(c + (2L * ldc), c2 * al, accumulate);
        Store8(c + (3L * ldc), c3 * al, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(float* dst, Vector256<float> v, bool accumulate) =>
        (accumulate ? Vector256.Load(dst) + v : v).Store(dst);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3, float alpha, bool accumulate)
    {
        var al = Vector256.Create(alpha);
        if (accumulate)
        {
            (Vector256.Load(c) + (v0 * al)).Store(c);
            (Vector256.Load(c + 8) + (v1 * al)).Store(c + 8);
            (Vector256.Load(c + 16) + (v2 * al)).Store(c + 16);
            (Vector256.Load(c + 24) + (v3 * al)).Store(c + 24);
        }
        else
        {
            (v0 * al).Store(c);
            (v1 * al).Store(c + 8);
            (v2 * al).Store(c + 16);
            (v3 * al).Store(c + 24);
        }
    }

    /// <summary>Returns the [cols, rows] transpose of a row-major [rows, cols] matrix.</summary>
    public static float[] Transpose(float[] a, int rows, int cols) => Transpose(a, 0, cols, rows, cols);

    /// <summary>Transpose of a strided [rows, cols] block starting at offset with leading dimension ld.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] Transpose(float[] a, int offset, int ld, int rows, int cols)
    {
        var t = GC.AllocateUninitializedArray<float>(rows * cols);
        const int tile = 32;
        for (var i0 = 0; i0 < rows; i0 += tile)
        {
            var i1 = Math.Min(rows, i0 + tile);
            for (var j0 = 0; j0 < cols; j0 += tile)
            {
                var j1 = Math.Min(cols, j0 + tile);
                for (var i = i0; i < i1; i++)
                {
                    var src = offset + (i * ld);
                    for (var j = j0; j < j1; j++)
                    {
                        t[(j * rows) + i] = a[src + j];
                    }
                }
            }
        }

        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunJob(int job, int rowBlocks, float* x, int ldx, float* w, int ldw, float* y, int ldy, int m, int n, int k, float alpha, bool accumulate)
    {
        var colBlock = job / rowBlocks;
        var rowBlock = job % rowBlocks;
        var i0 = rowBlock * Block;
        var i1 = Math.Min(m, i0 + Block);
        var j0 = colBlock * Block;
        var j1 = Math.Min(n, j0 + Block);
        var i = i0;
        for (; i + 4 <= i1; i += 4)
        {
            var j = j0;
            for (; j + 4 <= j1; j += 4)
            {
                Tile4x4(x + ((long)i * ldx), ldx, w + ((long)j * ldw), ldw, y + ((long)i * ldy) + j, ldy, k, alpha, accumulate);
            }

            for (; j < j1; j++)
            {
                for (var r = 0; r < 4; r++)
                {
                    Store(y + ((long)(i + r) * ldy) + j, Dot(x + ((long)(i + r) * ldx), w + ((long)j * ldw), k), alpha, accumulate);
                }
            }
        }

        for (; i < i1; i++)
        {
            var j = j0;
            for (; j + 4 <= j1; j += 4)
            {
                Tile1x4(x + ((long)i * ldx), w + ((long)j * ldw), ldw, y + ((long)i * ldy) + j, k, alpha, accumulate);
            }

            for (; j < j1; j++)
            {
                Store(y + ((long)i * ldy) + j, Dot(x + ((long)i * ldx), w + ((long)j * ldw), k), alpha, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* dst, float value, float alpha, bool accumulate)
    {
        var v = value * alpha;
        *dst = accumulate ? *dst + v : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* a, float* b, int k0, int k, float acc)
    {
        for (var t = k0; t < k; t++)
        {
            acc += a[t] * b[t];
        }

        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* a, float* b, int k)
    {
        var acc = Vector256<float>.Zero;
        var t = 0;
        for (; t + 8 <= k; t += 8)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + t), Vector256.Load(b + t), acc);
        }

        return Tail(a, b, t, k, Vector256.Sum(acc));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x4(float* x, float* w, int ldw, float* y, int k, float alpha, bool accumulate)
    {
        var w0 = w;
        var w1 = w + ldw;
        var w2 = w1 + ldw;
        var w3 = w2 + ldw;
        var c0 = Vector256<float>.Zero;
        var c1 = Vector256<float>.Zero;
        var c2 = Vector256<float>.Zero;
        var c3 = Vector256<float>.Zero;
        var t = 0;
        for (; t + 8 <= k; t += 8)
        {
            var xv = Vector256.Load(x + t);
            c0 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w0 + t), c0);
            c1 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w1 + t), c1);
            c2 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w2 + t), c2);
            c3 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w3 + t), c3);
        }

        Store(y, Tail(x, w0, t, k, Vector256.Sum(c0)), alpha, accumulate);
        Store(y + 1, Tail(x, w1, t, k, Vector256.Sum(c1)), alpha, accumulate);
        Store(y + 2, Tail(x, w2, t, k, Vector256.Sum(c2)), alpha, accumulate);
        Store(y + 3, Tail(x, w3, t, k, Vector256.Sum(c3)), alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(float* x, int ldx, float* w, int ldw, float* y, int ldy, int k, float alpha, bool accumulate)
    {
        var x0 = x;
        var x1 = x + ldx;
        var x2 = x1 + ldx;
        var x3 = x2 + ldx;
        var w0 = w;
        var w1 = w + ldw;
        var w2 = w1 + ldw;
        var w3 = w2 + ldw;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        var t = 0;
        for (; t + 8 <= k; t += 8)
        {
            var b0 = Vector256.Load(w0 + t);
            var b1 = Vector256.Load(w1 + t);
            var b2 = Vector256.Load(w2 + t);
            var b3 = Vector256.Load(w3 + t);
            var a = Vector256.Load(x0 + t);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(a, b2, c02);
            c03 = Vector256.FusedMultiplyAdd(a, b3, c03);
            a = Vector256.Load(x1 + t);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(a, b2, c12);
            c13 = Vector256.FusedMultiplyAdd(a, b3, c13);
            a = Vector256.Load(x2 + t);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector256.FusedMultiplyAdd(a, b2, c22);
            c23 = Vector256.FusedMultiplyAdd(a, b3, c23);
            a = Vector256.Load(x3 + t);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector256.FusedMultiplyAdd(a, b2, c32);
            c33 = Vector256.FusedMultiplyAdd(a, b3, c33);
        }

        var y0 = y;
        var y1 = y + ldy;
        var y2 = y1 + ldy;
        var y3 = y2 + ldy;
        Store(y0, Tail(x0, w0, t, k, Vector256.Sum(c00)), alpha, accumulate);
        Store(y0 + 1, Tail(x0, w1, t, k, Vector256.Sum(c01)), alpha, accumulate);
        Store(y0 + 2, Tail(x0, w2, t, k, Vector256.Sum(c02)), alpha, accumulate);
        Store(y0 + 3, Tail(x0, w3, t, k, Vector256.Sum(c03)), alpha, accumulate);
        Store(y1, Tail(x1, w0, t, k, Vector256.Sum(c10)), alpha, accumulate);
        Store(y1 + 1, Tail(x1, w1, t, k, Vector256.Sum(c11)), alpha, accumulate);
        Store(y1 + 2, Tail(x1, w2, t, k, Vector256.Sum(c12)), alpha, accumulate);
        Store(y1 + 3, Tail(x1, w3, t, k, Vector256.Sum(c13)), alpha, accumulate);
        Store(y2, Tail(x2, w0, t, k, Vector256.Sum(c20)), alpha, accumulate);
        Store(y2 + 1, Tail(x2, w1, t, k, Vector256.Sum(c21)), alpha, accumulate);
        Store(y2 + 2, Tail(x2, w2, t, k, Vector256.Sum(c22)), alpha, accumulate);
        Store(y2 + 3, Tail(x2, w3, t, k, Vector256.Sum(c23)), alpha, accumulate);
        Store(y3, Tail(x3, w0, t, k, Vector256.Sum(c30)), alpha, accumulate);
        Store(y3 + 1, Tail(x3, w1, t, k, Vector256.Sum(c31)), alpha, accumulate);
        Store(y3 + 2, Tail(x3, w2, t, k, Vector256.Sum(c32)), alpha, accumulate);
        Store(y3 + 3, Tail(x3, w3, t, k, Vector256.Sum(c33)), alpha, accumulate);
    }
}
