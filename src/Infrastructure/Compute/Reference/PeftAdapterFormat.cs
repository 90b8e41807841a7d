using System.Text.Json;
using System.Text.Json.Nodes;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.SafeTensors;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>PEFT adapter files: adapter_config.json (explicit target_modules) and adapter_model.safetensors.</summary>
internal static class PeftAdapterFormat
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    public static string ConfigJson(LoraAdapter adapter, string baseModel)
    {
        var o = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModel,
            ["r"] = adapter.Settings.Rank,
            ["lora_alpha"] = adapter.Settings.Alpha,
            ["lora_dropout"] = 0.0,
            ["bias"] = "none",
            ["use_rslora"] = adapter.Settings.UseRsLora,
            ["target_modules"] = new JsonArray([.. adapter.TargetModules.Select(m => (JsonNode?)m)]),
            ["fan_in_fan_out"] = false,
            ["init_lora_weights"] = true,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
            ["inference_mode"] = true,
            ["revision"] = null,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static byte[] WeightsBytes(LoraAdapter adapter)
    {
        var entries = new List<SafeTensorEntry>();
        foreach (var m in adapter.Modules)
        {
            entries.Add(SafeTensorEntry.FromFloats(m.KeyA, m.A, m.Rank, m.In));
            entries.Add(SafeTensorEntry.FromFloats(m.KeyB, m.B, m.Out, m.Rank));
        }

        return SafeTensorsWriter.ToBytes(entries, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>What adapter_config.json says (only the fields a reader needs).</summary>
    public sealed record PeftConfig(int Rank, double Alpha, bool UseRsLora, IReadOnlyList<string>? TargetModules, string? BaseModel);

    public static PeftConfig ParseConfig(string json)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(json) as JsonObject ?? throw new InvalidComputeRequestException("adapter_config.json must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidComputeRequestException($"adapter_config.json is not valid JSON: {ex.Message}");
        }

        if (o["peft_type"] is JsonValue pt && pt.GetValueKind() == JsonValueKind.String && pt.GetValue<string>() != "LORA")
        {
            throw new InvalidComputeRequestException("adapter_config.json peft_type must be LORA.");
        }

        if (o["r"] is not JsonValue rv || rv.GetValueKind() != JsonValueKind.Number || !rv.TryGetValue<int>(out var rank) || rank < 1)
        {
            throw new InvalidComputeRequestException("adapter_config.json needs a positive integer 'r'.");
        }

        var alpha = o["lora_alpha"] is JsonValue av && av.GetValueKind() == JsonValueKind.Number ? av.GetValue<double>() : 8.0;
        var rs = o["use_rslora"] is JsonValue rsv && rsv.GetValueKind() == JsonValueKind.True;
        foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
        {
            if (o[pattern] is JsonObject p && p.Count > 0)
            {
                throw new InvalidComputeRequestException($"adapter_config.json {pattern} is not supported.");
            }
        }

        IReadOnlyList<string>? targets = null;
        switch (o["target_modules"])
        {
            case JsonArray a:
                targets = [.. a.Select(n => n is JsonValue s && s.GetValueKind() == JsonValueKind.String
                    ? s.GetValue<string>()
                    : throw new InvalidComputeRequestException("adapter_config.json target_modules must be strings."))];
                break;
            case JsonValue s when s.GetValueKind() == JsonValueKind.String:
                throw new InvalidComputeRequestException("adapter_config.json target_modules must be an explicit list.");
        }

        var baseModel = o["base_model_name_or_path"] is JsonValue bv && bv.GetValueKind() == JsonValueKind.String ? bv.GetValue<string>() : null;
        return new PeftConfig(rank, alpha, rs, targets, baseModel);
    }

    /// <summary>
    /// Builds an adapter for the model from PEFT files. Every module named by target_modules must be present in
    /// every layer with the right shapes; tensors outside the targets are rejected rather than silently ignored.
    /// </summary>
    public static LoraAdapter Read(Qwen3Config config, PeftConfig peft, SafeTensorsFile weights, ulong seed = 0)
    {
        var known = Enum.GetValues<LoraTarget>().ToDictionary(LoraTargets.ModuleName);
        var targets = peft.TargetModules ?? InferTargets(weights);
        var attn = false;
        var mlp = false;
        var head = false;
        var selected = new HashSet<LoraTarget>();
        foreach (var name in targets)
        {
            if (name == "lm_head")
            {
                head = true;
            }
            else if (known.TryGetValue(name, out var t))
            {
                selected.Add(t);
                attn |= LoraTargets.IsAttention(t);
                mlp |= !LoraTargets.IsAttention(t);
            }
            else
            {
                throw new InvalidComputeRequestException($"Adapter target module '{name}' is not supported.");
            }
        }

        if (head && config.TieWordEmbeddings)
        {
            throw new InvalidComputeRequestException("The adapter targets lm_head but this base model ties it to the embeddings.");
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        var layers = new LoraModule?[config.NumLayers][];
        for (var l = 0; l < config.NumLayers; l++)
        {
            layers[l] = new LoraModule?[LoraTargets.Count];
            foreach (var t in selected)
            {
                var (o, i) = Qwen3Weights.Shape(config, t);
                layers[l][(int)t] = ReadModule(weights, LoraTargets.Path(l, t), peft.Rank, i, o, used);
            }
        }

        var lmHead = head ? ReadModule(weights, "lm_head", peft.Rank, config.HiddenSize, config.VocabSize, used) : null;
        var extra = weights.Tensors.FirstOrDefault(t => !used.Contains(t.Name));
        if (extra is not null)
        {
            throw new InvalidComputeRequestException($"Adapter tensor '{extra.Name}' does not belong to the adapter's target modules of this model.");
        }

        var settings = new LoraSettings(peft.Rank, peft.Alpha, seed, attn, mlp, head, peft.UseRsLora);
        return new LoraAdapter(config, settings, layers, lmHead);
    }

    private static IReadOnlyList<string> InferTargets(SafeTensorsFile weights) =>
        [.. weights.Tensors
            .Select(t => t.Name.Split('.'))
            .Where(p => p.Length >= 3 && p[^2] is "lora_A" or "lora_B")
            .Select(p => p[^3])
            .Distinct(StringComparer.Ordinal)];

    private static LoraModule ReadModule(SafeTensorsFile weights, string path, int rank, int inFeatures, int outFeatures, HashSet<string> used)
    {
        var keyA = $"base_model.model.{path}.lora_A.weight";
        var keyB = $"base_model.model.{path}.lora_B.weight";
        var a = ReadTensor(weights, keyA, rank, inFeatures);
        var b = ReadTensor(weights, keyB, outFeatures, rank);
        used.Add(keyA);
        used.Add(keyB);
        return new LoraModule(path, rank, inFeatures, outFeatures, a, b);
    }

    public static float[] ReadTensor(SafeTensorsFile file, string key, int rows, int cols)
    {
        if (!file.Contains(key))
        {
            throw new InvalidComputeRequestException($"Tensor '{key}' is missing.");
        }

        var info = file.Get(key);
        if (info.Shape.Length != 2 || info.Shape[0] != rows || info.Shape[1] != cols)
        {
            throw new InvalidComputeRequestException($"Tensor '{key}' has shape [{string.Join(", ", info.Shape)}], expected [{rows}, {cols}].");
        }

        try
        {
            return file.ReadFloat32(key);
        }
        catch (SafeTensorsFormatException ex)
        {
            throw new InvalidComputeRequestException(ex.Message);
        }
    }
}
