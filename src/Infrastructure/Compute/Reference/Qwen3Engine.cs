using System.Buffers;
using System.Numerics.Tensors;
using TinkerServer.Infrastructure.Compute.Reference.Kernels;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>
/// Forward and hand-written backward of Qwen3 + LoRA over packed sequences. Base weights are frozen; only LoRA
/// gradients are produced, accumulated (summed) into the adapter's gradient buffers.
/// </summary>
internal static class Qwen3Engine
{
    /// <summary>Target logprobs per packed row; with <paramref name="gradient"/>, also accumulates LoRA gradients.</summary>
    public static float[] Run(Qwen3Weights w, LoraAdapter? adapter, PackedBatch batch, int[] targets, TokenGradient? gradient)
    {
        var c = w.Config;
        var s = batch.TotalTokens;
        var h = c.HiddenSize;
        var (cos, sin) = RowOps.RopeTables(Math.Max(1, batch.MaxLength), c.HeadDim, c.RopeTheta);
        var x = new float[s * h];
        for (var r = 0; r < s; r++)
        {
            Array.Copy(w.Embed, batch.Tokens[r] * h, x, r * h, h);
        }

        var saved = gradient is null ? null : new LayerActivations[c.NumLayers];
        for (var l = 0; l < c.NumLayers; l++)
        {
            var acts = LayerForward(w, adapter, l, batch, x, cos, sin);
            if (saved is not null)
            {
                saved[l] = acts;
            }

            x = acts.XOut!;
            acts.XOut = null;
        }

        var hF = new float[s * h];
        var rstdF = new float[s];
        RowOps.RmsNorm(x, w.FinalNorm, hF, rstdF, s, h, c.RmsNormEps);
        var gHF = gradient is null ? null : new float[s * h];
        var logprobs = LogProbHead.Run(w, adapter, hF, s, targets, gradient, gHF);
        if (gradient is null)
        {
            return logprobs;
        }

        var gX = new float[s * h];
        RowOps.RmsNormBackward(x, w.FinalNorm, rstdF, gHF!, gX, s, h, accumulate: false);
        for (var l = c.NumLayers - 1; l >= 0; l--)
        {
            gX = LayerBackward(w, adapter, l, batch, saved![l], gX, cos, sin);
            saved[l] = null!;
        }

        return logprobs;
    }

    internal sealed class LayerActivations
    {
        public required float[] XIn { get; init; }

        public required float[] Rstd1 { get; init; }

        public required float[] H1 { get; init; }

        public required float[] QRaw { get; init; }

        public required float[] KRaw { get; init; }

        public required float[] QRstd { get; init; }

        public required float[] KRstd { get; init; }

        public required float[] QRot { get; init; }

        public required float[] KRot { get; init; }

        public required float[] V { get; init; }

        public required float[] Lse { get; init; }

        public required float[] Attn { get; init; }

        public required float[] XMid { get; init; }

        public required float[] Rstd2 { get; init; }

        public required float[] H2 { get; init; }

        public required float[] Gate { get; init; }

        public required float[] Up { get; init; }

        public required float[] Act { get; init; }

        public required float[]?[] U { get; init; }

        public float[]? XOut { get; set; }
    }

    private static LayerActivations LayerForward(Qwen3Weights w, LoraAdapter? adapter, int l, PackedBatch batch, float[] xIn, float[] cos, float[] sin)
    {
        var c = w.Config;
        var lw = w.Layers[l];
        var s = batch.TotalTokens;
        var h = c.HiddenSize;
        var u = new float[]?[LoraTargets.Count];

        var h1 = GC.AllocateUninitializedArray<float>(s * h);
        var rstd1 = new float[s];
        RowOps.RmsNorm(xIn, lw.InputNorm, h1, rstd1, s, h, c.RmsNormEps);
        var q = Linear(lw, adapter, l, LoraTarget.Q, h1, s, u);
        var k = Linear(lw, adapter, l, LoraTarget.K, h1, s, u);
        var v = Linear(lw, adapter, l, LoraTarget.V, h1, s, u);
        var qRot = GC.AllocateUninitializedArray<float>(q.Length);
        var kRot = GC.AllocateUninitializedArray<float>(k.Length);
        var qRstd = new float[s * c.NumHeads];
        var kRstd = new float[s * c.NumKvHeads];
        RowOps.HeadNorm(q, lw.QNorm, qRot, qRstd, s, c.NumHeads, c.HeadDim, c.RmsNormEps);
        RowOps.HeadNorm(k, lw.KNorm, kRot, kRstd, s, c.NumKvHeads, c.HeadDim, c.RmsNormEps);
        RowOps.Rope(qRot, s, c.NumHeads, c.HeadDim, batch.Positions, cos, sin, inverse: false);
        RowOps.Rope(kRot, s, c.NumKvHeads, c.HeadDim, batch.Positions, cos, sin, inverse: false);
        var attn = new float[s * c.QDim];
        var lse = new float[s * c.NumHeads];
        Attention.Forward(c, batch, qRot, kRot, v, attn, lse);

        var o = Linear(lw, adapter, l, LoraTarget.O, attn, s, u);
        var xMid = GC.AllocateUninitializedArray<float>(s * h);
        TensorPrimitives.Add(xIn, o, xMid);
        var h2 = GC.AllocateUninitializedArray<float>(s * h);
        var rstd2 = new float[s];
        RowOps.RmsNorm(xMid, lw.PostAttentionNorm, h2, rstd2, s, h, c.RmsNormEps);
        var gate = Linear(lw, adapter, l, LoraTarget.Gate, h2, s, u);
        var up = Linear(lw, adapter, l, LoraTarget.Up, h2, s, u);
        var act = GC.AllocateUninitializedArray<float>(gate.Length);
        RowOps.SiluGate(gate, up, act, act.Length);
        var down = Linear(lw, adapter, l, LoraTarget.Down, act, s, u);
        TensorPrimitives.Add(down, xMid, down);
        return new LayerActivations
        {
            XIn = xIn,
            Rstd1 = rstd1,
            H1 = h1,
            QRaw = q,
            KRaw = k,
            QRstd = qRstd,
            KRstd = kRstd,
            QRot = qRot,
            KRot = kRot,
            V = v,
            Lse = lse,
            Attn = attn,
            XMid = xMid,
            Rstd2 = rstd2,
            H2 = h2,
            Gate = gate,
            Up = up,
            Act = act,
            U = u,
            XOut = down,
        };
    }

    private static float[] LayerBackward(Qwen3Weights w, LoraAdapter? adapter, int l, PackedBatch batch, LayerActivations a, float[] gX, float[] cos, float[] sin)
    {
        var c = w.Config;
        var lw = w.Layers[l];
        var s = batch.TotalTokens;
        var h = c.HiddenSize;
        var inter = c.IntermediateSize;

        var gAct = GC.AllocateUninitializedArray<float>(s * inter);
        LinearBackward(lw, adapter, l, LoraTarget.Down, a.Act, a.U, gX, s, gAct, accumulate: false);
        var gGate = GC.AllocateUninitializedArray<float>(s * inter);
        var gUp = GC.AllocateUninitializedArray<float>(s * inter);
        RowOps.SiluGateBackward(a.Gate, a.Up, gAct, gGate, gUp, s * inter);
        var gH2 = GC.AllocateUninitializedArray<float>(s * h);
        LinearBackward(lw, adapter, l, LoraTarget.Gate, a.H2, a.U, gGate, s, gH2, accumulate: false);
        LinearBackward(lw, adapter, l, LoraTarget.Up, a.H2, a.U, gUp, s, gH2, accumulate: true);
        RowOps.RmsNormBackward(a.XMid, lw.PostAttentionNorm, a.Rstd2, gH2, gX, s, h, accumulate: true);

        var gAttn = GC.AllocateUninitializedArray<float>(s * c.QDim);
        LinearBackward(lw, adapter, l, LoraTarget.O, a.Attn, a.U, gX, s, gAttn, accumulate: false);
        var gQ = new float[s * c.QDim];
        var gK = new float[s * c.KvDim];
        var gV = new float[s * c.KvDim];
        Attention.Backward(c, batch, a.QRot, a.KRot, a.V, a.Lse, gAttn, gQ, gK, gV);
        RowOps.Rope(gQ, s, c.NumHeads, c.HeadDim, batch.Positions, cos, sin, inverse: true);
        RowOps.Rope(gK, s, c.NumKvHeads, c.HeadDim, batch.Positions, cos, sin, inverse: true);
        var gQRaw = GC.AllocateUninitializedArray<float>(gQ.Length);
        var gKRaw = GC.AllocateUninitializedArray<float>(gK.Length);
        RowOps.RmsNormBackward(a.QRaw, lw.QNorm, a.QRstd, gQ, gQRaw, s * c.NumHeads, c.HeadDim, accumulate: false);
        RowOps.RmsNormBackward(a.KRaw, lw.KNorm, a.KRstd, gK, gKRaw, s * c.NumKvHeads, c.HeadDim, accumulate: false);

        var gH1 = GC.AllocateUninitializedArray<float>(s * h);
        LinearBackward(lw, adapter, l, LoraTarget.Q, a.H1, a.U, gQRaw, s, gH1, accumulate: false);
        LinearBackward(lw, adapter, l, LoraTarget.K, a.H1, a.U, gKRaw, s, gH1, accumulate: true);
        LinearBackward(lw, adapter, l, LoraTarget.V, a.H1, a.U, gV, s, gH1, accumulate: true);
        RowOps.RmsNormBackward(a.XIn, lw.InputNorm, a.Rstd1, gH1, gX, s, h, accumulate: true);
        return gX;
    }

    /// <summary>y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ; stores u = x·Aᵀ for the backward pass.</summary>
    internal static float[] Linear(Qwen3LayerWeights lw, LoraAdapter? adapter, int l, LoraTarget t, float[] x, int rows, float[]?[]? u)
    {
        var weight = lw[t];
        var y = GC.AllocateUninitializedArray<float>(rows * weight.Out);
        Gemm.NT(x, 0, weight.In, weight.W, 0, weight.In, y, 0, weight.Out, rows, weight.Out, weight.In);
        var lora = adapter?[l, t];
        if (lora is not null)
        {
            var ux = LoraForward(lora, adapter!.Scaling, x, rows, y);
            if (u is not null)
            {
                u[(int)t] = ux;
            }
        }

        return y;
    }

    internal static float[] LoraForward(LoraModule lora, float scaling, float[] x, int rows, float[] y)
    {
        var r = lora.Rank;
        var ux = new float[rows * r];
        Gemm.NT(x, 0, lora.In, lora.A, 0, lora.In, ux, 0, r, rows, r, lora.In);
        if (rows < 16)
        {
            // Decode-sized: transposing B would cost more than the product itself.
            Gemm.NT(ux, 0, r, lora.B, 0, r, y, 0, lora.Out, rows, lora.Out, r, alpha: scaling, accumulate: true);
        }
        else
        {
            var bT = Gemm.Transpose(lora.B, lora.Out, r);
            Gemm.NN(ux, 0, r, bT, 0, lora.Out, y, 0, lora.Out, rows, lora.Out, r, alpha: scaling, accumulate: true);
        }
        return ux;
    }

    private static void LinearBackward(
        Qwen3LayerWeights lw, LoraAdapter? adapter, int l, LoraTarget t, float[] input, float[]?[] u,
        float[] gOut, int rows, float[] gIn, bool accumulate)
    {
        var weight = lw[t];
        Gemm.NT(gOut, 0, weight.Out, weight.Transposed, 0, weight.Out, gIn, 0, weight.In, rows, weight.In, weight.Out, accumulate: accumulate);
        var lora = adapter?[l, t];
        if (lora is not null)
        {
            LoraBackward(lora, adapter!.Scaling, input, u[(int)t]!, gOut, rows, gIn);
        }
    }

    /// <summary>dB += s·gᵀu, dA += s·(g·B)ᵀx, dx += s·(g·B)·A.</summary>
    internal static void LoraBackward(LoraModule lora, float scaling, float[] input, float[] u, float[] gOut, int rows, float[] gIn)
    {
        var r = lora.Rank;
        var gBu = new float[rows * r];
        Gemm.NN(gOut, 0, lora.Out, lora.B, 0, r, gBu, 0, r, rows, r, lora.Out);
        Gemm.TN(gOut, lora.Out, u, r, rows, lora.EnsureGradB(), alpha: scaling, accumulate: true);
        Gemm.TN(gBu, r, input, lora.In, rows, lora.EnsureGradA(), alpha: scaling, accumulate: true);
        Gemm.NN(gBu, 0, r, lora.A, 0, lora.In, gIn, 0, lora.In, rows, lora.In, r, alpha: scaling, accumulate: true);
    }
}

/// <summary>Causal grouped-query attention per (sequence, kv head), with P recomputed from the saved log-sum-exp.</summary>
internal static class Attention
{
    public static void Forward(Qwen3Config c, PackedBatch batch, float[] qRot, float[] kRot, float[] v, float[] attn, float[] lse)
    {
        var jobs = batch.Count * c.NumKvHeads;
        Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = Gemm.MaxThreads }, job =>
            ForwardJob(c, batch, job / c.NumKvHeads, job % c.NumKvHeads, qRot, kRot, v, attn, lse));
    }

    public static void Backward(Qwen3Config c, PackedBatch batch, float[] qRot, float[] kRot, float[] v, float[] lse, float[] gAttn, float[] gQ, float[] gK, float[] gV)
    {
        var jobs = batch.Count * c.NumKvHeads;
        Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = Gemm.MaxThreads }, job =>
            BackwardJob(c, batch, job / c.NumKvHeads, job % c.NumKvHeads, qRot, kRot, v, lse, gAttn, gQ, gK, gV));
    }

    private static void ForwardJob(Qwen3Config c, PackedBatch batch, int seq, int g, float[] qRot, float[] kRot, float[] v, float[] attn, float[] lse)
    {
        var t = batch.Lengths[seq];
        if (t == 0)
        {
            return;
        }

        var s0 = batch.Starts[seq];
        var hd = c.HeadDim;
        var group = c.NumHeads / c.NumKvHeads;
        var scale = (float)(1.0 / Math.Sqrt(hd));
        var kvOffset = (s0 * c.KvDim) + (g * hd);
        var p = ArrayPool<float>.Shared.Rent(t * t);
        try
        {
            for (var j = 0; j < group; j++)
            {
                var head = (g * group) + j;
                Gemm.NT(qRot, (s0 * c.QDim) + (head * hd), c.QDim, kRot, (s0 * c.KvDim) + (g * hd), c.KvDim, p, 0, t, t, t, hd, alpha: scale, parallel: false);
                for (var i = 0; i < t; i++)
                {
                    var row = p.AsSpan(i * t, i + 1);
                    var max = TensorPrimitives.Max(row);
                    TensorPrimitives.Subtract(row, max, row);
                    TensorPrimitives.Exp(row, row);
                    var sum = TensorPrimitives.Sum(row);
                    TensorPrimitives.Multiply(row, 1f / sum, row);
                    p.AsSpan((i * t) + i + 1, t - i - 1).Clear();
                    lse[((s0 + i) * c.NumHeads) + head] = max + MathF.Log(sum);
                }

                Gemm.NN(p, 0, t, v, kvOffset, c.KvDim, attn, (s0 * c.QDim) + (head * hd), c.QDim, t, hd, t, parallel: false);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(p);
        }
    }

    private static void BackwardJob(Qwen3Config c, PackedBatch batch, int seq, int g, float[] qRot, float[] kRot, float[] v, float[] lse, float[] gAttn, float[] gQ, float[] gK, float[] gV)
    {
        var t = batch.Lengths[seq];
        if (t == 0)
        {
            return;
        }

        var s0 = batch.Starts[seq];
        var hd = c.HeadDim;
        var group = c.NumHeads / c.NumKvHeads;
        var scale = (float)(1.0 / Math.Sqrt(hd));
        var kOffset = (s0 * c.KvDim) + (g * hd);
        var p = ArrayPool<float>.Shared.Rent(t * t);
        var dp = ArrayPool<float>.Shared.Rent(t * t);
        try
        {
            for (var j = 0; j < group; j++)
            {
                var head = (g * group) + j;
                var qOffset = (s0 * c.QDim) + (head * hd);
                Gemm.NT(qRot, qOffset, c.QDim, kRot, kOffset, c.KvDim, p, 0, t, t, t, hd, alpha: scale, parallel: false);
                Gemm.NT(gAttn, qOffset, c.QDim, v, kOffset, c.KvDim, dp, 0, t, t, t, hd, parallel: false);
                for (var i = 0; i < t; i++)
                {
                    var row = p.AsSpan(i * t, i + 1);
                    TensorPrimitives.Subtract(row, lse[((s0 + i) * c.NumHeads) + head], row);
                    TensorPrimitives.Exp(row, row);
                    p.AsSpan((i * t) + i + 1, t - i - 1).Clear();
                    var dRow = dp.AsSpan(i * t, i + 1);
                    var d = TensorPrimitives.Dot(row, dRow);
                    TensorPrimitives.Subtract(dRow, d, dRow);
                    TensorPrimitives.Multiply(dRow, row, dRow);
                    dp.AsSpan((i * t) + i + 1, t - i - 1).Clear();
                }

                // dp now holds dS. dV += Pᵀ·dO, dQ = c·dS·K, dK += c·dSᵀ·Q.
                Gemm.TN(p, 0, t, gAttn, qOffset, c.QDim, gV, kOffset, c.KvDim, t, hd, t, accumulate: true, parallel: false);
                Gemm.NN(dp, 0, t, kRot, kOffset, c.KvDim, gQ, qOffset, c.QDim, t, hd, t, alpha: scale, parallel: false);
                Gemm.TN(dp, 0, t, qRot, qOffset, c.QDim, gK, kOffset, c.KvDim, t, hd, t, alpha: scale, accumulate: true, parallel: false);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(p);
            ArrayPool<float>.Shared.Return(dp);
        }
    }
}
