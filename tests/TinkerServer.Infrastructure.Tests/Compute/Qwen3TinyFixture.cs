using System.Text.Json;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference;
using TinkerServer.Infrastructure.Compute.SafeTensors;

namespace TinkerServer.Infrastructure.Tests.Compute;

/// <summary>The PyTorch-made golden data in TestData/qwen3-tiny (copied from the shared fixtures).</summary>
internal sealed class Qwen3TinyFixture
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "TestData", "qwen3-tiny");

    /// <summary>config.json + model.safetensors (kept apart from the other fixture files, as an HF model dir).</summary>
    public static readonly string ModelDirectory = Path.Combine(Directory, "model");

    private static readonly Lazy<Qwen3TinyFixture> Shared = new(() => new Qwen3TinyFixture());

    private Qwen3TinyFixture()
    {
        Weights = HfModelDirectory.Load(ModelDirectory);
        Inputs = JsonDocument.Parse(File.ReadAllText(PathOf("inputs.json"))).RootElement.Clone();
        Expected = JsonDocument.Parse(File.ReadAllText(PathOf("expected.json"))).RootElement.Clone();
        Sampling = JsonDocument.Parse(File.ReadAllText(PathOf("sampling.json"))).RootElement.Clone();
    }

    public static Qwen3TinyFixture Instance => Shared.Value;

    public Qwen3Weights Weights { get; }

    public JsonElement Inputs { get; }

    public JsonElement Expected { get; }

    public JsonElement Sampling { get; }

    public static string PathOf(string file) => Path.Combine(Directory, file);

    public static SafeTensorsFile OpenTensors(string file) => SafeTensorsFile.Parse(File.ReadAllBytes(PathOf(file)));

    /// <summary>A fresh copy of the fixture's PEFT adapter (r 8, alpha 32, all 7 modules, B non-zero).</summary>
    public LoraAdapter LoadAdapter()
    {
        var peft = PeftAdapterFormat.ParseConfig(File.ReadAllText(PathOf("adapter_config.json")));
        return PeftAdapterFormat.Read(Weights.Config, peft, OpenTensors("adapter_model.safetensors"));
    }

    public IReadOnlyList<Datum> Datums()
    {
        var list = new List<Datum>();
        foreach (var d in Inputs.GetProperty("datums").EnumerateArray())
        {
            var inputs = new Dictionary<string, TensorData>(StringComparer.Ordinal)
            {
                ["target_tokens"] = TensorData.FromInts(d.GetProperty("target_tokens").EnumerateArray().Select(e => e.GetInt64()).ToArray()),
                ["weights"] = TensorData.FromFloats(Floats(d.GetProperty("weights"))),
                ["advantages"] = TensorData.FromFloats(Floats(d.GetProperty("advantages"))),
                ["logprobs"] = TensorData.FromFloats(Floats(d.GetProperty("logprobs"))),
            };
            list.Add(new Datum(d.GetProperty("model_input").EnumerateArray().Select(e => e.GetInt32()).ToArray(), inputs));
        }

        return list;
    }

    public IEnumerable<(string Name, ForwardBackwardBatch Batch)> LossCases()
    {
        var datums = Datums();
        foreach (var c in Inputs.GetProperty("loss_cases").EnumerateObject())
        {
            var config = new Dictionary<string, double>(StringComparer.Ordinal);
            if (c.Value.GetProperty("loss_fn_config").ValueKind == JsonValueKind.Object)
            {
                foreach (var kv in c.Value.GetProperty("loss_fn_config").EnumerateObject())
                {
                    config[kv.Name] = kv.Value.GetDouble();
                }
            }

            yield return (c.Name, new ForwardBackwardBatch(datums, c.Value.GetProperty("loss_fn").GetString()!, config));
        }
    }

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
