namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>What a run's adapter is made of (Tinker's LoraConfig plus the scaling numerator).</summary>
public sealed record LoraSettings(int Rank, double Alpha, ulong Seed, bool TrainAttn, bool TrainMlp, bool TrainUnembed, bool UseRsLora = false)
{
    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;
}

/// <summary>
/// One LoRA-adapted projection: A [r, in] and B [out, r] in PEFT layout, with gradient accumulators and AdamW
/// moments allocated on first use (sampler snapshots never need them).
/// </summary>
internal sealed class LoraModule
{
    public LoraModule(string path, int rank, int inFeatures, int outFeatures, float[] a, float[] b)
    {
        if (a.Length != rank * inFeatures || b.Length != outFeatures * rank)
        {
            throw new ArgumentException($"LoRA tensors for {path} have the wrong size.");
        }

        Path = path;
        Rank = rank;
        In = inFeatures;
        Out = outFeatures;
        A = a;
        B = b;
    }

    /// <summary>HF path of the adapted projection, e.g. "model.layers.0.self_attn.q_proj" or "lm_head".</summary>
    public string Path { get; }

    public int Rank { get; }

    public int In { get; }

    public int Out { get; }

    public float[] A { get; }

    public float[] B { get; }

    public float[]? GradA { get; private set; }

    public float[]? GradB { get; private set; }

    public float[]? ExpAvgA { get; set; }

    public float[]? ExpAvgSqA { get; set; }

    public float[]? ExpAvgB { get; set; }

    public float[]? ExpAvgSqB { get; set; }

    public string KeyA => $"base_model.model.{Path}.lora_A.weight";

    public string KeyB => $"base_model.model.{Path}.lora_B.weight";

    public float[] EnsureGradA() => GradA ??= new float[A.Length];

    public float[] EnsureGradB() => GradB ??= new float[B.Length];

    public void ZeroGradients()
    {
        if (GradA is not null)
        {
            Array.Clear(GradA);
        }

        if (GradB is not null)
        {
            Array.Clear(GradB);
        }
    }

    public LoraModule CloneWeights() => new(Path, Rank, In, Out, (float[])A.Clone(), (float[])B.Clone());
}

/// <summary>A LoRA adapter over one base model: modules per layer and target, optionally lm_head.</summary>
internal sealed class LoraAdapter
{
    public LoraAdapter(Qwen3Config config, LoraSettings settings, LoraModule?[][] layers, LoraModule? lmHead)
    {
        Config = config;
        Settings = settings;
        Layers = layers;
        LmHead = lmHead;
        Scaling = (float)settings.Scaling;
    }

    public Qwen3Config Config { get; }

    public LoraSettings Settings { get; }

    public float Scaling { get; }

    /// <summary>[layer][target]; null where the target is not adapted.</summary>
    public LoraModule?[][] Layers { get; }

    public LoraModule? LmHead { get; }

    /// <summary>AdamW steps taken (bias correction uses it).</summary>
    public long Step { get; set; }

    /// <summary>Every module in a fixed order: layer-major, targets in canonical order, then lm_head.</summary>
    public IEnumerable<LoraModule> Modules
    {
        get
        {
            foreach (var layer in Layers)
            {
                foreach (var m in layer)
                {
                    if (m is not null)
                    {
                        yield return m;
                    }
                }
            }

            if (LmHead is not null)
            {
                yield return LmHead;
            }
        }
    }

    /// <summary>PEFT target_modules names, sorted.</summary>
    public IReadOnlyList<string> TargetModules
    {
        get
        {
            var names = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var m in Modules)
            {
                names.Add(m.Path[(m.Path.LastIndexOf('.') + 1)..]);
            }

            return [.. names];
        }
    }

    public static IEnumerable<LoraTarget> Targets(LoraSettings s) =>
        Enum.GetValues<LoraTarget>().Where(t => LoraTargets.IsAttention(t) ? s.TrainAttn : s.TrainMlp);

    /// <summary>
    /// A fresh adapter: B = 0 (a no-op until trained) and A ~ U(-1/√in, 1/√in) (PEFT's kaiming-uniform bound),
    /// drawn from xoshiro256** seeded with the run's seed, module by module in <see cref="Modules"/> order.
    /// </summary>
    public static LoraAdapter Create(Qwen3Config config, LoraSettings settings)
    {
        if (settings.Rank < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), "LoRA rank must be at least 1.");
        }

        if (settings.TrainUnembed && config.TieWordEmbeddings)
        {
            throw new ArgumentException("train_unembed needs an untied lm_head; this model ties it to the embeddings.", nameof(settings));
        }

        var rng = new Xoshiro256StarStar(settings.Seed);
        var targets = Targets(settings).ToHashSet();
        var layers = new LoraModule?[config.NumLayers][];
        for (var l = 0; l < config.NumLayers; l++)
        {
            layers[l] = new LoraModule?[LoraTargets.Count];
            foreach (var t in Enum.GetValues<LoraTarget>())
            {
                if (targets.Contains(t))
                {
                    var (o, i) = Qwen3Weights.Shape(config, t);
                    layers[l][(int)t] = NewModule(LoraTargets.Path(l, t), settings.Rank, i, o, rng);
                }
            }
        }

        var head = settings.TrainUnembed ? NewModule("lm_head", settings.Rank, config.HiddenSize, config.VocabSize, rng) : null;
        return new LoraAdapter(config, settings, layers, head);
    }

    public LoraModule? this[int layer, LoraTarget t] => Layers[layer][(int)t];

    public void ZeroGradients()
    {
        foreach (var m in Modules)
        {
            m.ZeroGradients();
        }
    }

    /// <summary>A copy of the weights only (no gradients, no optimizer state).</summary>
    public LoraAdapter SnapshotWeights()
    {
        var layers = Layers.Select(l => l.Select(m => m?.CloneWeights()).ToArray()).ToArray();
        return new LoraAdapter(Config, Settings, layers, LmHead?.CloneWeights());
    }

    private static LoraModule NewModule(string path, int rank, int inFeatures, int outFeatures, Xoshiro256StarStar rng)
    {
        var a = new float[rank * inFeatures];
        var bound = (float)(1.0 / Math.Sqrt(inFeatures));
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = rng.NextUniform(bound);
        }

        return new LoraModule(path, rank, inFeatures, outFeatures, a, new float[outFeatures * rank]);
    }
}
