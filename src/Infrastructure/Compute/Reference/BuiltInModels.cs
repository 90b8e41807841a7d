namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>
/// The model the server serves with no files: a small Qwen3 whose weights are generated from a fixed seed.
/// Its vocabulary is Qwen3's (151,936) so token ids from a Qwen3 tokenizer are valid; it is untied so that
/// train_unembed (Tinker's default) works.
/// </summary>
public static class BuiltInModels
{
    public const string TinyName = "tinker-tiny-qwen3";
    public const ulong TinySeed = 20260101;

    public static Qwen3Config TinyConfig { get; } = new()
    {
        VocabSize = 151936,
        HiddenSize = 64,
        IntermediateSize = 192,
        NumLayers = 2,
        NumHeads = 4,
        NumKvHeads = 2,
        HeadDim = 16,
        RmsNormEps = 1e-6,
        RopeTheta = 1_000_000,
        TieWordEmbeddings = false,
        MaxPositionEmbeddings = 4096,
    };

    /// <summary>
    /// Random weights for a config, reproducible from the seed: xoshiro256** (SplitMix64-seeded) draws the tensors
    /// in <see cref="Qwen3Weights.TensorShapes"/> order, row-major. Norm weights are 1 (no draws); the embedding is
    /// U(±0.02·√3) (std 0.02); every projection and lm_head is U(±1/√in).
    /// </summary>
    internal static Qwen3Weights Generate(Qwen3Config config, ulong seed)
    {
        config.Validate();
        var rng = new Xoshiro256StarStar(seed);
        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, shape) in Qwen3Weights.TensorShapes(config))
        {
            var count = checked((int)shape.Aggregate(1L, (a, b) => a * b));
            var data = new float[count];
            if (shape.Length == 1)
            {
                Array.Fill(data, 1f);
            }
            else
            {
                var bound = name == "model.embed_tokens.weight" ? (float)(0.02 * Math.Sqrt(3)) : (float)(1.0 / Math.Sqrt(shape[1]));
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = rng.NextUniform(bound);
                }
            }

            tensors[name] = data;
        }

        return Qwen3Weights.FromTensors(config, name => tensors[name]);
    }

    /// <summary>Writes a generated model as an HF directory (config.json + model.safetensors).</summary>
    public static void WriteHfDirectory(Qwen3Config config, ulong seed, string directory) =>
        HfModelDirectory.Write(Generate(config, seed), directory);
}
