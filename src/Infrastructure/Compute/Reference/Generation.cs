using System.Numerics.Tensors;
using System.Security.Cryptography;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference.Kernels;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>Per-sequence key/value cache: K (after k_norm and RoPE) and V, [capacity, kv_dim] per layer.</summary>
internal sealed class KvCache
{
    public KvCache(Qwen3Config config, int capacity)
    {
        Capacity = capacity;
        K = new float[config.NumLayers][];
        V = new float[config.NumLayers][];
        for (var l = 0; l < config.NumLayers; l++)
        {
            K[l] = new float[capacity * config.KvDim];
            V[l] = new float[capacity * config.KvDim];
        }
    }

    private KvCache(KvCache source)
    {
        Capacity = source.Capacity;
        K = source.K.Select(a => (float[])a.Clone()).ToArray();
        V = source.V.Select(a => (float[])a.Clone()).ToArray();
    }

    public int Capacity { get; }

    public float[][] K { get; }

    public float[][] V { get; }

    public KvCache Clone() => new(this);
}

/// <summary>
/// Sampling with a KV cache: one prefill over the prompt, then decode steps that batch all live samples
/// through the linear layers. Chosen-token logprobs come from the raw logits (no temperature or filtering).
/// </summary>
internal static class Generation
{
    public const int DefaultMaxTokens = 16;
    public const int MaxSamples = 128;

    public static SampleOutput Sample(Qwen3Weights w, LoraAdapter? adapter, SampleInput input, CancellationToken cancellationToken)
    {
        var c = w.Config;
        var maxTokens = Validate(c, input);
        var prompt = input.Prompt;
        var p = input.Params;
        var capacity = prompt.Length + maxTokens;
        var (cos, sin) = RowOps.RopeTables(capacity, c.HeadDim, c.RopeTheta);
        var cache = new KvCache(c, capacity);
        var positions = Enumerable.Range(0, prompt.Length).ToArray();
        var hF = Forward(w, adapter, Enumerable.Repeat(cache, prompt.Length).ToArray(), positions, prompt, cos, sin);

        float[]? promptLogprobs = null;
        List<IReadOnlyList<TokenLogprob>?>? topk = null;
        if (input.IncludePromptLogprobs || input.TopkPromptLogprobs > 0)
        {
            (promptLogprobs, topk) = PromptLogprobs(w, adapter, hF, prompt, Math.Min(input.TopkPromptLogprobs, c.VocabSize));
            if (!input.IncludePromptLogprobs)
            {
                promptLogprobs = null;
            }

            if (input.TopkPromptLogprobs <= 0)
            {
                topk = null;
            }
        }

        var v = c.VocabSize;
        var firstLogits = new float[v];
        var lastRow = hF.AsSpan((prompt.Length - 1) * c.HiddenSize, c.HiddenSize).ToArray();
        var headBT = adapter?.LmHead is { } lm ? Gemm.Transpose(lm.B, lm.Out, lm.Rank) : null;
        LogProbHead.Logits(w, adapter, lastRow, adapter?.LmHead is { } lm1 ? LogProbHead.LoraInput(lm1, lastRow, 1) : null, headBT, 0, 1, firstLogits);

        var n = input.NumSamples;
        var baseSeed = p.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        var samples = new SampleState[n];
        for (var i = 0; i < n; i++)
        {
            samples[i] = new SampleState(i == n - 1 ? cache : cache.Clone(), new Xoshiro256StarStar(unchecked(baseSeed + (ulong)i)), (float[])firstLogits.Clone());
        }

        var stop = new HashSet<int>(p.StopTokens ?? []);
        var position = prompt.Length;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var live = new List<SampleState>();
            foreach (var s in samples.Where(s => !s.Done))
            {
                var token = Choose(s.Logits, p, s.Rng);
                s.Tokens.Add(token);
                s.Logprobs.Add(LogSoftmaxAt(s.Logits, token));
                if (stop.Contains(token))
                {
                    s.Done = true;
                    s.Reason = StopReason.Stop;
                }
                else if (s.Tokens.Count >= maxTokens)
                {
                    s.Done = true;
                    s.Reason = StopReason.Length;
                }
                else
                {
                    live.Add(s);
                }
            }

            if (live.Count == 0)
            {
                break;
            }

            var rows = live.Count;
            var h = Forward(w, adapter, live.Select(s => s.Cache).ToArray(), Enumerable.Repeat(position, rows).ToArray(), live.Select(s => s.Tokens[^1]).ToArray(), cos, sin);
            var logits = new float[rows * v];
            LogProbHead.Logits(w, adapter, h, adapter?.LmHead is { } head ? LogProbHead.LoraInput(head, h, rows) : null, headBT, 0, rows, logits);
            for (var r = 0; r < rows; r++)
            {
                Array.Copy(logits, r * v, live[r].Logits, 0, v);
            }

            position++;
        }

        var sequences = samples.Select(s => new SampledSequence(s.Reason, [.. s.Tokens], [.. s.Logprobs])).ToList();
        return new SampleOutput(sequences, promptLogprobs, topk);
    }

    /// <summary>Checks the request against the model; returns the effective max_tokens.</summary>
    public static int Validate(Qwen3Config c, SampleInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var p = input.Params ?? throw new InvalidComputeRequestException("sampling_params are required.");
        if (input.Prompt is null || input.Prompt.Length == 0)
        {
            throw new InvalidComputeRequestException("The prompt must hold at least one token.");
        }

        if (input.Prompt.Length > c.MaxPositionEmbeddings)
        {
            throw new InvalidComputeRequestException($"The prompt has {input.Prompt.Length} tokens; the model's context is {c.MaxPositionEmbeddings}.");
        }

        LossEvaluator.CheckTokens(input.Prompt, c.VocabSize, "prompt");
        if (input.NumSamples is < 1 or > MaxSamples)
        {
            throw new InvalidComputeRequestException($"num_samples must be between 1 and {MaxSamples}.");
        }

        var room = c.MaxPositionEmbeddings - input.Prompt.Length;
        if (p.MaxTokens is { } m && (m < 1 || m > room))
        {
            throw new InvalidComputeRequestException($"max_tokens must be between 1 and {room} (context {c.MaxPositionEmbeddings} minus the prompt).");
        }

        var maxTokens = p.MaxTokens ?? Math.Min(DefaultMaxTokens, room);
        if (maxTokens < 1)
        {
            throw new InvalidComputeRequestException("The prompt fills the model's context; there is no room to sample.");
        }

        if (!double.IsFinite(p.Temperature) || p.Temperature < 0)
        {
            throw new InvalidComputeRequestException("temperature must be a finite number ≥ 0.");
        }

        if (p.TopK < -1)
        {
            throw new InvalidComputeRequestException("top_k must be -1 (off) or positive.");
        }

        if (!(p.TopP > 0 && p.TopP <= 1))
        {
            throw new InvalidComputeRequestException("top_p must be in (0, 1].");
        }

        if (input.TopkPromptLogprobs < 0)
        {
            throw new InvalidComputeRequestException("topk_prompt_logprobs must not be negative.");
        }

        return maxTokens;
    }

    /// <summary>Final-norm hidden states of new tokens; row r sits at positions[r] of caches[r] (its K/V is written there).</summary>
    public static float[] Forward(Qwen3Weights w, LoraAdapter? adapter, KvCache[] caches, int[] positions, int[] tokens, float[] cos, float[] sin)
    {
        var c = w.Config;
        var rows = tokens.Length;
        var h = c.HiddenSize;
        var x = new float[rows * h];
        for (var r = 0; r < rows; r++)
        {
            Array.Copy(w.Embed, tokens[r] * h, x, r * h, h);
        }

        var normed = new float[rows * h];
        var rstd = new float[rows * Math.Max(c.NumHeads, 1)];
        for (var l = 0; l < c.NumLayers; l++)
        {
            var lw = w.Layers[l];
            RowOps.RmsNorm(x, lw.InputNorm, normed, rstd, rows, h, c.RmsNormEps);
            var q = Qwen3Engine.Linear(lw, adapter, l, LoraTarget.Q, normed, rows, null);
            var k = Qwen3Engine.Linear(lw, adapter, l, LoraTarget.K, normed, rows, null);
            var v = Qwen3Engine.Linear(lw, adapter, l, LoraTarget.V, normed, rows, null);
            RowOps.HeadNorm(q, lw.QNorm, q, rstd, rows, c.NumHeads, c.HeadDim, c.RmsNormEps);
            RowOps.HeadNorm(k, lw.KNorm, k, rstd, rows, c.NumKvHeads, c.HeadDim, c.RmsNormEps);
            RowOps.Rope(q, rows, c.NumHeads, c.HeadDim, positions, cos, sin, inverse: false);
            RowOps.Rope(k, rows, c.NumKvHeads, c.HeadDim, positions, cos, sin, inverse: false);
            for (var r = 0; r < rows; r++)
            {
                Array.Copy(k, r * c.KvDim, caches[r].K[l], positions[r] * c.KvDim, c.KvDim);
                Array.Copy(v, r * c.KvDim, caches[r].V[l], positions[r] * c.KvDim, c.KvDim);
            }

            var attn = new float[rows * c.QDim];
            CachedAttention(c, l, caches, positions, q, attn);
            var o = Qwen3Engine.Linear(lw, adapter, l, LoraTarget.O, attn, rows, null);
            TensorPrimitives.Add(x, o, x);
            RowOps.RmsNorm(x, lw.PostAttentionNorm, normed, rstd, rows, h, c.RmsNormEps);
            var gate = Qwen3Engine.Linear(lw, adapter, l, LoraTarget.Gate, normed, rows, null);
            var up = Qwen3Engine.Linear(lw, adapter, l, LoraTarget.Up, normed, rows, null);
            var act = new float[gate.Length];
            RowOps.SiluGate(gate, up, act, gate.Length);
            var down = Qwen3Engine.Linear(lw, adapter, l, LoraTarget.Down, act, rows, null);
            TensorPrimitives.Add(x, down, x);
        }

        RowOps.RmsNorm(x, w.FinalNorm, normed, rstd, rows, h, c.RmsNormEps);
        return normed;
    }

    private static void CachedAttention(Qwen3Config c, int layer, KvCache[] caches, int[] positions, float[] q, float[] attn)
    {
        var hd = c.HeadDim;
        var group = c.NumHeads / c.NumKvHeads;
        var scale = (float)(1.0 / Math.Sqrt(hd));
        var jobs = positions.Length * c.NumHeads;
        var work = (long)positions.Sum(p => (long)p + 1) * c.NumHeads * hd;
        void Job(int job)
        {
            var r = job / c.NumHeads;
            var head = job % c.NumHeads;
            var g = head / group;
            var len = positions[r] + 1;
            var keys = caches[r].K[layer];
            var values = caches[r].V[layer];
            var qh = q.AsSpan((r * c.QDim) + (head * hd), hd);
            var scores = new float[len];
            for (var j = 0; j < len; j++)
            {
                scores[j] = TensorPrimitives.Dot(qh, keys.AsSpan((j * c.KvDim) + (g * hd), hd)) * scale;
            }

            var max = TensorPrimitives.Max(scores);
            TensorPrimitives.Subtract(scores, max, scores);
            TensorPrimitives.Exp(scores, scores);
            TensorPrimitives.Multiply(scores, 1f / TensorPrimitives.Sum(scores), scores);
            var o = attn.AsSpan((r * c.QDim) + (head * hd), hd);
            for (var j = 0; j < len; j++)
            {
                TensorPrimitives.MultiplyAdd(values.AsSpan((j * c.KvDim) + (g * hd), hd), scores[j], o, o);
            }
        }

        if (work >= 1 << 16 && jobs > 1 && Gemm.MaxThreads > 1)
        {
            Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = Gemm.MaxThreads }, Job);
        }
        else
        {
            for (var j = 0; j < jobs; j++)
            {
                Job(j);
            }
        }
    }

    private static (float[] Logprobs, List<IReadOnlyList<TokenLogprob>?> TopK) PromptLogprobs(Qwen3Weights w, LoraAdapter? adapter, float[] hF, int[] prompt, int k)
    {
        var v = w.Config.VocabSize;
        var rows = prompt.Length - 1;
        var logprobs = new float[prompt.Length];
        logprobs[0] = float.NaN;
        var topk = new List<IReadOnlyList<TokenLogprob>?> { null };
        var u = adapter?.LmHead is { } lm ? LogProbHead.LoraInput(lm, hF, rows) : null;
        var bT = adapter?.LmHead is { } lmB ? Gemm.Transpose(lmB.B, lmB.Out, lmB.Rank) : null;
        var rb = LogProbHead.BlockRows(v);
        var logits = new float[rb * v];
        for (var r0 = 0; r0 < rows; r0 += rb)
        {
            var n = Math.Min(rb, rows - r0);
            LogProbHead.Logits(w, adapter, hF, u, bT, r0, n, logits);
            for (var i = 0; i < n; i++)
            {
                var row = logits.AsSpan(i * v, v);
                var lse = LogSumExp(row);
                logprobs[r0 + i + 1] = (float)(row[prompt[r0 + i + 1]] - lse);
                var best = k > 0 ? TopK(row, k) : [];
                var entries = new TokenLogprob[best.Length];
                for (var j = 0; j < best.Length; j++)
                {
                    entries[j] = new TokenLogprob(best[j], (float)(row[best[j]] - lse));
                }

                topk.Add(entries);
            }
        }

        return (logprobs, topk);
    }

    private static double LogSumExp(ReadOnlySpan<float> row)
    {
        var max = TensorPrimitives.Max(row);
        var tmp = new float[row.Length];
        TensorPrimitives.Subtract(row, max, tmp);
        TensorPrimitives.Exp(tmp, tmp);
        return max + Math.Log(TensorPrimitives.Sum(tmp));
    }

    private static float LogSoftmaxAt(float[] logits, int token) => (float)(logits[token] - LogSumExp(logits));

    /// <summary>Indices of the k largest values, highest first (ties: lower index first).</summary>
    public static int[] TopK(ReadOnlySpan<float> row, int k)
    {
        // A min-heap of the best k so far, ordered by (value, -index).
        var heap = new PriorityQueue<int, (float Value, int NegIndex)>(k + 1);
        for (var i = 0; i < row.Length; i++)
        {
            if (heap.Count < k)
            {
                heap.Enqueue(i, (row[i], -i));
            }
            else
            {
                heap.TryPeek(out _, out var worst);
                if (row[i] > worst.Value)
                {
                    heap.DequeueEnqueue(i, (row[i], -i));
                }
            }
        }

        var result = new int[heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = heap.Dequeue();
        }

        return result;
    }

    private static int Choose(float[] logits, SamplingParams p, Xoshiro256StarStar rng)
    {
        if (p.Temperature == 0)
        {
            return TensorPrimitives.IndexOfMax(logits);
        }

        var candidates = p.TopK > 0 && p.TopK < logits.Length ? TopK(logits, p.TopK) : Enumerable.Range(0, logits.Length).ToArray();
        var max = candidates.Max(i => logits[i]);
        var probs = new double[candidates.Length];
        double total = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            probs[i] = Math.Exp((logits[candidates[i]] - max) / p.Temperature);
            total += probs[i];
        }

        if (p.TopP < 1)
        {
            // Keep the smallest highest-probability prefix whose mass reaches top_p.
            // Sort by probability (descending; ties by token id, as candidates are in id order and the sort key
            // includes the position) and keep the smallest prefix whose mass reaches top_p.
            var keys = new (double NegProb, int Position)[candidates.Length];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = (-probs[i], i);
            }

            Array.Sort(keys);
            double mass = 0;
            var keep = 0;
            while (keep < keys.Length)
            {
                mass += probs[keys[keep].Position];
                keep++;
                if (mass >= p.TopP * total)
                {
                    break;
                }
            }

            var kept = keys[..keep].Select(k => k.Position).Order().ToArray();
            candidates = kept.Select(i => candidates[i]).ToArray();
            probs = kept.Select(i => probs[i]).ToArray();
            total = mass;
        }

        var u = rng.NextDouble() * total;
        double acc = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            acc += probs[i];
            if (u < acc)
            {
                return candidates[i];
            }
        }

        return candidates[^1];
    }

    private sealed class SampleState(KvCache cache, Xoshiro256StarStar rng, float[] logits)
    {
        public KvCache Cache { get; } = cache;

        public Xoshiro256StarStar Rng { get; } = rng;

        public float[] Logits { get; } = logits;

        public List<int> Tokens { get; } = [];

        public List<float> Logprobs { get; } = [];

        public bool Done { get; set; }

        public StopReason Reason { get; set; } = StopReason.Length;
    }
}
