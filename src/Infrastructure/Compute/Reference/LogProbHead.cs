using System.Numerics.Tensors;
using TinkerServer.Infrastructure.Compute.Reference.Kernels;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>
/// The fused log-prob head: logits are produced in blocks of rows (never the whole [S, V] table), reduced to
/// log-sum-exp and target logprobs, and — when training — turned straight into dz = g·(onehot − p) and pushed
/// back through lm_head (and its LoRA) while the block is still in cache. Because every Tinker loss is a
/// per-token function of the target logprob, no second pass over the vocabulary is needed.
/// </summary>
internal static class LogProbHead
{
    private const long BlockElements = 1L << 21;

    public static int BlockRows(int vocab) => (int)Math.Clamp(BlockElements / vocab / 4 * 4, 4, 64);

    /// <summary>Target logprobs of every row; with gradient, also writes gHF and accumulates lm_head LoRA grads.</summary>
    public static float[] Run(Qwen3Weights w, LoraAdapter? adapter, float[] hF, int rows, int[] targets, TokenGradient? gradient, float[]? gHF)
    {
        var c = w.Config;
        var v = c.VocabSize;
        var h = c.HiddenSize;
        var lora = adapter?.LmHead;
        var u = lora is null ? null : LoraInput(lora, hF, rows);
        var logprobs = new float[rows];
        var rb = BlockRows(v);
        var logits = new float[rb * v];
        var bT = lora is null ? null : Gemm.Transpose(lora.B, lora.Out, lora.Rank);
        for (var r0 = 0; r0 < rows; r0 += rb)
        {
            var n = Math.Min(rb, rows - r0);
            Logits(w, adapter, hF, u, bT, r0, n, logits);
            ForEachRow(n, v, i =>
            {
                var row = logits.AsSpan(i * v, v);
                var target = targets[r0 + i];
                var max = TensorPrimitives.Max(row);
                var zt = row[target];
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);
                var sum = TensorPrimitives.Sum(row);
                var lp = (float)(zt - max - Math.Log(sum));
                logprobs[r0 + i] = lp;
                if (gradient is not null)
                {
                    // dz = g·(onehot(t) − p), p = exp(z − max) / sum.
                    var g = gradient(r0 + i, lp);
                    TensorPrimitives.Multiply(row, -g / sum, row);
                    row[target] += g;
                }
            });

            if (gradient is null)
            {
                continue;
            }

            Gemm.NT(logits, 0, v, w.LmHead.Transposed, 0, v, gHF!, r0 * h, h, n, h, v);
            if (lora is not null)
            {
                var r = lora.Rank;
                var s = adapter!.Scaling;
                var gBu = new float[n * r];
                Gemm.NN(logits, 0, v, lora.B, 0, r, gBu, 0, r, n, r, v);
                Gemm.TN(logits, 0, v, u!, r0 * r, r, lora.EnsureGradB(), 0, r, v, r, n, alpha: s, accumulate: true);
                Gemm.TN(gBu, 0, r, hF, r0 * h, h, lora.EnsureGradA(), 0, h, r, h, n, alpha: s, accumulate: true);
                Gemm.NN(gBu, 0, r, lora.A, 0, h, gHF!, r0 * h, h, n, h, r, alpha: s, accumulate: true);
            }
        }

        return logprobs;
    }

    /// <summary>u = hF·Aᵀ for the lm_head LoRA.</summary>
    public static float[] LoraInput(LoraModule lora, float[] hF, int rows)
    {
        var u = new float[rows * lora.Rank];
        Gemm.NT(hF, 0, lora.In, lora.A, 0, lora.In, u, 0, lora.Rank, rows, lora.Rank, lora.In);
        return u;
    }

    /// <summary>Raw logits of rows r0..r0+n into logits[0..n·V); bT is the lm_head LoRA Bᵀ [r, V] when adapted.</summary>
    public static void Logits(Qwen3Weights w, LoraAdapter? adapter, float[] hF, float[]? u, float[]? bT, int r0, int n, float[] logits)
    {
        var c = w.Config;
        var v = c.VocabSize;
        var h = c.HiddenSize;
        Gemm.NT(hF, r0 * h, h, w.LmHead.W, 0, h, logits, 0, v, n, v, h);
        var lora = adapter?.LmHead;
        if (lora is not null)
        {
            Gemm.NN(u!, r0 * lora.Rank, lora.Rank, bT!, 0, v, logits, 0, v, n, v, lora.Rank, alpha: adapter!.Scaling, accumulate: true);
        }
    }

    private static void ForEachRow(int n, int v, Action<int> body)
    {
        if ((long)n * v >= 1 << 16 && n > 1 && Gemm.MaxThreads > 1)
        {
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Gemm.MaxThreads }, body);
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                body(i);
            }
        }
    }
}
