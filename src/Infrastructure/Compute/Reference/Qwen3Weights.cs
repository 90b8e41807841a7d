namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>A frozen linear weight in HF [out, in] layout, with a lazily built [in, out] copy for the backward pass.</summary>
internal sealed class LinearWeight
{
    private readonly Lazy<float[]> _transposed;

    public LinearWeight(float[] weight, int outFeatures, int inFeatures)
    {
        if (weight.Length != (long)outFeatures * inFeatures)
        {
            throw new InvalidDataException($"Weight has {weight.Length} elements, expected [{outFeatures}, {inFeatures}].");
        }

        W = weight;
        Out = outFeatures;
        In = inFeatures;
        _transposed = new Lazy<float[]>(() => Kernels.Gemm.Transpose(W, Out, In), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public float[] W { get; }

    public int Out { get; }

    public int In { get; }

    /// <summary>Wᵀ [in, out]: turns dX = dY·W into an NT product.</summary>
    public float[] Transposed => _transposed.Value;
}

/// <summary>The projections a LoRA adapter can target, in their canonical order.</summary>
internal enum LoraTarget
{
    Q = 0,
    K = 1,
    V = 2,
    O = 3,
    Gate = 4,
    Up = 5,
    Down = 6,
}

internal static class LoraTargets
{
    public const int Count = 7;

    public static string ModuleName(LoraTarget t) => t switch
    {
        LoraTarget.Q => "q_proj",
        LoraTarget.K => "k_proj",
        LoraTarget.V => "v_proj",
        LoraTarget.O => "o_proj",
        LoraTarget.Gate => "gate_proj",
        LoraTarget.Up => "up_proj",
        LoraTarget.Down => "down_proj",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsAttention(LoraTarget t) => t <= LoraTarget.O;

    /// <summary>HF tensor path of the projection in a layer, without the ".weight" suffix.</summary>
    public static string Path(int layer, LoraTarget t) =>
        $"model.layers.{layer}.{(IsAttention(t) ? "self_attn" : "mlp")}.{ModuleName(t)}";
}

internal sealed class Qwen3LayerWeights
{
    public required float[] InputNorm { get; init; }

    public required float[] PostAttentionNorm { get; init; }

    public required float[] QNorm { get; init; }

    public required float[] KNorm { get; init; }

    public required LinearWeight[] Linear { get; init; }

    public LinearWeight this[LoraTarget t] => Linear[(int)t];
}

/// <summary>The base weights of a Qwen3 model, float32, HF layout. Immutable and shared by every run.</summary>
internal sealed class Qwen3Weights
{
    public required Qwen3Config Config { get; init; }

    /// <summary>model.embed_tokens.weight [V, H].</summary>
    public required float[] Embed { get; init; }

    /// <summary>lm_head.weight [V, H]; the embedding itself when tied.</summary>
    public required LinearWeight LmHead { get; init; }

    public required float[] FinalNorm { get; init; }

    public required Qwen3LayerWeights[] Layers { get; init; }

    /// <summary>(out, in) of a projection.</summary>
    public static (int Out, int In) Shape(Qwen3Config c, LoraTarget t) => t switch
    {
        LoraTarget.Q => (c.QDim, c.HiddenSize),
        LoraTarget.K or LoraTarget.V => (c.KvDim, c.HiddenSize),
        LoraTarget.O => (c.HiddenSize, c.QDim),
        LoraTarget.Gate or LoraTarget.Up => (c.IntermediateSize, c.HiddenSize),
        LoraTarget.Down => (c.HiddenSize, c.IntermediateSize),
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>Every HF tensor name with its shape, in a fixed order.</summary>
    public static IEnumerable<(string Name, long[] Shape)> TensorShapes(Qwen3Config c)
    {
        yield return ("model.embed_tokens.weight", [c.VocabSize, c.HiddenSize]);
        for (var l = 0; l < c.NumLayers; l++)
        {
            yield return ($"model.layers.{l}.input_layernorm.weight", [c.HiddenSize]);
            foreach (var t in Enum.GetValues<LoraTarget>())
            {
                var (o, i) = Shape(c, t);
                yield return ($"{LoraTargets.Path(l, t)}.weight", [o, i]);
            }

            yield return ($"model.layers.{l}.self_attn.q_norm.weight", [c.HeadDim]);
            yield return ($"model.layers.{l}.self_attn.k_norm.weight", [c.HeadDim]);
            yield return ($"model.layers.{l}.post_attention_layernorm.weight", [c.HiddenSize]);
        }

        yield return ("model.norm.weight", [c.HiddenSize]);
        if (!c.TieWordEmbeddings)
        {
            yield return ("lm_head.weight", [c.VocabSize, c.HiddenSize]);
        }
    }

    /// <summary>Builds the weights from a tensor lookup by HF name (arrays must have the listed shapes).</summary>
    public static Qwen3Weights FromTensors(Qwen3Config c, Func<string, float[]> get)
    {
        c.Validate();
        var layers = new Qwen3LayerWeights[c.NumLayers];
        for (var l = 0; l < c.NumLayers; l++)
        {
            var linear = new LinearWeight[LoraTargets.Count];
            foreach (var t in Enum.GetValues<LoraTarget>())
            {
                var (o, i) = Shape(c, t);
                linear[(int)t] = new LinearWeight(get($"{LoraTargets.Path(l, t)}.weight"), o, i);
            }

            layers[l] = new Qwen3LayerWeights
            {
                InputNorm = Check(get($"model.layers.{l}.input_layernorm.weight"), c.HiddenSize),
                PostAttentionNorm = Check(get($"model.layers.{l}.post_attention_layernorm.weight"), c.HiddenSize),
                QNorm = Check(get($"model.layers.{l}.self_attn.q_norm.weight"), c.HeadDim),
                KNorm = Check(get($"model.layers.{l}.self_attn.k_norm.weight"), c.HeadDim),
                Linear = linear,
            };
        }

        var embed = Check(get("model.embed_tokens.weight"), (long)c.VocabSize * c.HiddenSize);
        var head = c.TieWordEmbeddings ? embed : Check(get("lm_head.weight"), (long)c.VocabSize * c.HiddenSize);
        return new Qwen3Weights
        {
            Config = c,
            Embed = embed,
            LmHead = new LinearWeight(head, c.VocabSize, c.HiddenSize),
            FinalNorm = Check(get("model.norm.weight"), c.HiddenSize),
            Layers = layers,
        };
    }

    /// <summary>The tensors by HF name (for writing the model out).</summary>
    public IEnumerable<(string Name, long[] Shape, float[] Data)> Tensors()
    {
        foreach (var (name, shape) in TensorShapes(Config))
        {
            yield return (name, shape, Lookup(name));
        }
    }

    private float[] Lookup(string name)
    {
        if (name == "model.embed_tokens.weight")
        {
            return Embed;
        }

        if (name == "lm_head.weight")
        {
            return LmHead.W;
        }

        if (name == "model.norm.weight")
        {
            return FinalNorm;
        }

        var parts = name.Split('.');
        var layer = Layers[int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)];
        var module = parts[^2];
        return module switch
        {
            "input_layernorm" => layer.InputNorm,
            "post_attention_layernorm" => layer.PostAttentionNorm,
            "q_norm" => layer.QNorm,
            "k_norm" => layer.KNorm,
            _ => layer.Linear[(int)Enum.GetValues<LoraTarget>().First(t => LoraTargets.ModuleName(t) == module)].W,
        };
    }

    private static float[] Check(float[] a, long expected) =>
        a.Length == expected ? a : throw new InvalidDataException($"Tensor has {a.Length} elements, expected {expected}.");
}
