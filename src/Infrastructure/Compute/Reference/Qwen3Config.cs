using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>The Qwen3 dense architecture hyper-parameters read from a Hugging Face config.json.</summary>
public sealed record Qwen3Config
{
    public required int VocabSize { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKvHeads { get; init; }

    public required int HeadDim { get; init; }

    public double RmsNormEps { get; init; } = 1e-6;

    public double RopeTheta { get; init; } = 10000.0;

    public bool TieWordEmbeddings { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 32768;

    public int QDim => NumHeads * HeadDim;

    public int KvDim => NumKvHeads * HeadDim;

    /// <summary>Checks the shape constraints the forward pass relies on.</summary>
    public void Validate()
    {
        if (VocabSize < 1 || HiddenSize < 1 || IntermediateSize < 1 || NumLayers < 1 || NumHeads < 1 || NumKvHeads < 1 || HeadDim < 2)
        {
            throw new InvalidDataException("Model sizes must be positive (head_dim at least 2).");
        }

        if (HeadDim % 2 != 0)
        {
            throw new InvalidDataException($"head_dim must be even for rotary embeddings, got {HeadDim}.");
        }

        if (NumHeads % NumKvHeads != 0)
        {
            throw new InvalidDataException($"num_attention_heads ({NumHeads}) must be a multiple of num_key_value_heads ({NumKvHeads}).");
        }

        if (MaxPositionEmbeddings < 1 || !(RopeTheta > 0) || !(RmsNormEps > 0))
        {
            throw new InvalidDataException("max_position_embeddings, rope_theta and rms_norm_eps must be positive.");
        }

        if ((long)VocabSize * HiddenSize > Array.MaxLength || (long)IntermediateSize * HiddenSize > Array.MaxLength
            || (long)QDim * HiddenSize > Array.MaxLength)
        {
            throw new InvalidDataException("A weight matrix of this model is too large for this backend.");
        }
    }

    /// <summary>Parses config.json. Accepts rope_theta or rope_parameters (rope_type "default" only).</summary>
    public static Qwen3Config Parse(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"config.json is not valid JSON: {ex.Message}");
        }

        if (root is not JsonObject o)
        {
            throw new InvalidDataException("config.json must be a JSON object.");
        }

        var modelType = GetString(o, "model_type");
        if (modelType is not null && modelType != "qwen3")
        {
            throw new InvalidDataException($"model_type '{modelType}' is not supported (expected 'qwen3').");
        }

        if (modelType is null)
        {
            var architectures = o["architectures"] as JsonArray;
            if (architectures is null || !architectures.Any(a => a?.GetValueKind() == JsonValueKind.String && a.GetValue<string>() == "Qwen3ForCausalLM"))
            {
                throw new InvalidDataException("config.json names neither model_type 'qwen3' nor architecture Qwen3ForCausalLM.");
            }
        }

        if (GetString(o, "hidden_act") is { } act && act != "silu")
        {
            throw new InvalidDataException($"hidden_act '{act}' is not supported (expected 'silu').");
        }

        if (GetBool(o, "attention_bias") == true)
        {
            throw new InvalidDataException("attention_bias=true is not supported.");
        }

        if (GetBool(o, "use_sliding_window") == true)
        {
            throw new InvalidDataException("use_sliding_window=true is not supported.");
        }

        var hidden = RequireInt(o, "hidden_size");
        var heads = RequireInt(o, "num_attention_heads");
        double theta;
        if (o["rope_parameters"] is JsonObject rope)
        {
            if (GetString(rope, "rope_type") is { } type && type != "default")
            {
                throw new InvalidDataException($"rope_type '{type}' is not supported (only 'default').");
            }

            theta = GetDouble(rope, "rope_theta") ?? GetDouble(o, "rope_theta") ?? 10000.0;
        }
        else
        {
            if (o["rope_scaling"] is JsonObject scaling && GetString(scaling, "rope_type") is { } t && t != "default")
            {
                throw new InvalidDataException($"rope_scaling type '{t}' is not supported.");
            }

            theta = GetDouble(o, "rope_theta") ?? 10000.0;
        }

        var config = new Qwen3Config
        {
            VocabSize = RequireInt(o, "vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = RequireInt(o, "intermediate_size"),
            NumLayers = RequireInt(o, "num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = GetInt(o, "num_key_value_heads") ?? heads,
            HeadDim = GetInt(o, "head_dim") ?? (heads > 0 ? hidden / heads : 0),
            RmsNormEps = GetDouble(o, "rms_norm_eps") ?? 1e-6,
            RopeTheta = theta,
            TieWordEmbeddings = GetBool(o, "tie_word_embeddings") ?? false,
            MaxPositionEmbeddings = GetInt(o, "max_position_embeddings") ?? 32768,
        };
        config.Validate();
        return config;
    }

    /// <summary>A config.json that <see cref="Parse"/> (and transformers) read back as this config.</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray("Qwen3ForCausalLM"),
            ["model_type"] = "qwen3",
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumLayers,
            ["num_attention_heads"] = NumHeads,
            ["num_key_value_heads"] = NumKvHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["rope_scaling"] = null,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["attention_bias"] = false,
            ["attention_dropout"] = 0.0,
            ["use_sliding_window"] = false,
            ["torch_dtype"] = "float32",
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string? GetString(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool? GetBool(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    private static double? GetDouble(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    private static int? GetInt(JsonObject o, string key)
    {
        var d = GetDouble(o, key);
        if (d is null)
        {
            return null;
        }

        if (d != Math.Floor(d.Value) || d < int.MinValue || d > int.MaxValue)
        {
            throw new InvalidDataException($"config.json key '{key}' must be an integer.");
        }

        return (int)d.Value;
    }

    private static int RequireInt(JsonObject o, string key) =>
        GetInt(o, key) ?? throw new InvalidDataException($"config.json lacks the integer key '{key}'.");
}
