using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace TinkerServer.Infrastructure.Compute.Reference.Kernels;

/// <summary>Row-wise pieces of the decoder: RMSNorm, RoPE, SiLU-gating and their backward passes.</summary>
internal static class RowOps
{
    /// <summary>y = w ⊙ x · rsqrt(mean(x²) + eps) per row of width n (rows laid out with stride n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNorm(float[] x, float[] w, float[] y, float[] rstd, int rows, int n, double eps)
    {
        for (var r = 0; r < rows; r++)
        {
            var xr = x.AsSpan(r * n, n);
            var yr = y.AsSpan(r * n, n);
            var rs = (float)(1.0 / Math.Sqrt((TensorPrimitives.SumOfSquares(xr) / n) + eps));
            rstd[r] = rs;
            TensorPrimitives.Multiply(xr, rs, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        }
    }

    /// <summary>dx (+)= ρ·(w⊙g) − x·ρ³·mean((w⊙g)⊙x), per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNormBackward(float[] x, float[] w, float[] rstd, float[] g, float[] dx, int rows, int n, bool accumulate)
    {
        var wg = new float[n];
        for (var r = 0; r < rows; r++)
        {
            var xr = x.AsSpan(r * n, n);
            var gr = g.AsSpan(r * n, n);
            var dr = dx.AsSpan(r * n, n);
            TensorPrimitives.Multiply(gr, w, wg);
            var rs = rstd[r];
            var coef = -(TensorPrimitives.Dot(wg, xr) / n) * rs * rs * rs;
            if (accumulate)
            {
                TensorPrimitives.MultiplyAdd(wg, rs, dr, dr);
            }
            else
            {
                TensorPrimitives.Multiply(wg, rs, dr);
            }

            TensorPrimitives.MultiplyAdd(xr, coef, dr, dr);
        }
    }

    /// <summary>Per-head RMSNorm in place over head_dim slices of rows of width heads·hd; rstd is [rows·heads].</summary>
    public static void HeadNorm(float[] x, float[] w, float[] y, float[] rstd, int rows, int heads, int hd, double eps) =>
        RmsNorm(x, w, y, rstd, rows * heads, hd, eps);

    /// <summary>cos/sin tables [positions, hd/2], angles in double: inv_freq[i] = theta^(−2i/hd).</summary>
    public static (float[] Cos, float[] Sin) RopeTables(int positions, int hd, double theta)
    {
        var half = hd / 2;
        var cos = new float[positions * half];
        var sin = new float[positions * half];
        for (var i = 0; i < half; i++)
        {
            var invFreq = Math.Pow(theta, -2.0 * i / hd);
            for (var p = 0; p < positions; p++)
            {
                var angle = p * invFreq;
                cos[(p * half) + i] = (float)Math.Cos(angle);
                sin[(p * half) + i] = (float)Math.Sin(angle);
            }
        }

        return (cos, sin);
    }

    /// <summary>
    /// Rotate-half RoPE in place on rows of width heads·hd (pairs i, i+hd/2); position of row r is positions[r].
    /// inverse applies the transpose rotation (the backward pass).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rope(float[] x, int rows, int heads, int hd, int[] positions, float[] cos, float[] sin, bool inverse)
    {
        var half = hd / 2;
        var width = heads * hd;
        for (var r = 0; r < rows; r++)
        {
            var tableOffset = positions[r] * half;
            for (var h = 0; h < heads; h++)
            {
                var o = (r * width) + (h * hd);
                for (var i = 0; i < half; i++)
                {
                    var c = cos[tableOffset + i];
                    var s = inverse ? -sin[tableOffset + i] : sin[tableOffset + i];
                    var a = x[o + i];
                    var b = x[o + i + half];
                    x[o + i] = (a * c) - (b * s);
                    x[o + i + half] = (b * c) + (a * s);
                }
            }
        }
    }

    /// <summary>act = silu(gate) ⊙ up; act must not alias either input.</summary>
    public static void SiluGate(float[] gate, float[] up, float[] act, int count)
    {
        var g = gate.AsSpan(0, count);
        var a = act.AsSpan(0, count);
        TensorPrimitives.Sigmoid(g, a);
        TensorPrimitives.Multiply(a, g, a);
        TensorPrimitives.Multiply(a, up.AsSpan(0, count), a);
    }

    /// <summary>dGate = g⊙up⊙σ(a)(1 + a(1−σ(a))), dUp = g⊙silu(a).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SiluGateBackward(float[] gate, float[] up, float[] gAct, float[] gGate, float[] gUp, int count)
    {
        var sig = new float[Math.Min(count, 4096)];
        for (var start = 0; start < count; start += sig.Length)
        {
            var n = Math.Min(sig.Length, count - start);
            var s = sig.AsSpan(0, n);
            TensorPrimitives.Sigmoid(gate.AsSpan(start, n), s);
            for (var i = 0; i < n; i++)
            {
                var a = gate[start + i];
                var sg = s[i];
                var g = gAct[start + i];
                gUp[start + i] = g * a * sg;
                gGate[start + i] = g * up[start + i] * sg * (1f + (a * (1f - sg)));
            }
        }
    }
}
