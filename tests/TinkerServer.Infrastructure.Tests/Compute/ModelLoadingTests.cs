using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using TinkerServer.Infrastructure.Compute.Reference;
using TinkerServer.Infrastructure.Compute.SafeTensors;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class ModelLoadingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tinker-models-" + Guid.NewGuid().ToString("N"));

    public ModelLoadingTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, true);
        }
        catch (IOException)
        {
        }
    }

    private static readonly Qwen3Config Small = new()
    {
        VocabSize = 50,
        HiddenSize = 12,
        IntermediateSize = 20,
        NumLayers = 2,
        NumHeads = 2,
        NumKvHeads = 1,
        HeadDim = 8,
        RopeTheta = 1e6,
        TieWordEmbeddings = false,
        MaxPositionEmbeddings = 128,
    };

    [Fact]
    public void Config_accepts_rope_parameters_and_defaults()
    {
        var c = Qwen3Config.Parse("""
            {"model_type":"qwen3","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,
             "num_attention_heads":4,"head_dim":128,"rope_parameters":{"rope_theta":5000.0,"rope_type":"default"}}
            """);
        c.RopeTheta.Should().Be(5000);
        c.NumKvHeads.Should().Be(4);
        c.HeadDim.Should().Be(128);
        c.QDim.Should().Be(512);
        c.TieWordEmbeddings.Should().BeFalse();
        c.RmsNormEps.Should().Be(1e-6);
        c.MaxPositionEmbeddings.Should().Be(32768);

        var legacy = Qwen3Config.Parse(File.ReadAllText(Path.Combine(Qwen3TinyFixture.ModelDirectory, "config.json")));
        legacy.RopeTheta.Should().Be(10000);
        legacy.TieWordEmbeddings.Should().BeTrue();
        legacy.MaxPositionEmbeddings.Should().Be(4096);
        Qwen3Config.Parse(legacy.ToJson()).Should().Be(legacy);
    }

    [Theory]
    [InlineData("""{"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2}""")]
    [InlineData("""{"model_type":"qwen3","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rope_parameters":{"rope_type":"yarn"}}""")]
    [InlineData("""{"model_type":"qwen3","hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2}""")]
    [InlineData("""{"model_type":"qwen3","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":3,"num_key_value_heads":2,"head_dim":4}""")]
    [InlineData("not json")]
    public void Invalid_configs_are_rejected(string json)
    {
        var act = () => Qwen3Config.Parse(json);
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void A_generated_model_round_trips_through_an_hf_directory()
    {
        var dir = Path.Combine(_root, "gen");
        BuiltInModels.WriteHfDirectory(Small, 3, dir);
        var loaded = HfModelDirectory.Load(dir);
        var generated = BuiltInModels.Generate(Small, 3);
        foreach (var ((name, _, a), (_, _, b)) in loaded.Tensors().Zip(generated.Tensors()))
        {
            a.Should().Equal(b, name);
        }

        BuiltInModels.Generate(Small, 4).Embed.Should().NotEqual(generated.Embed);
    }

    [Fact]
    public void Bf16_and_f16_tensors_split_over_several_files_are_converted()
    {
        var generated = BuiltInModels.Generate(Small, 8);
        var dir = Path.Combine(_root, "half");
        Directory.CreateDirectory(dir);
        var config = JsonNode.Parse(Small.ToJson())!.AsObject();
        config.Remove("rope_theta");
        config["rope_parameters"] = new JsonObject { ["rope_theta"] = 1e6, ["rope_type"] = "default" };
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var tensors = generated.Tensors().ToList();
        var expected = new Dictionary<string, float[]>();
        var first = new List<SafeTensorEntry>();
        var second = new List<SafeTensorEntry>();
        for (var i = 0; i < tensors.Count; i++)
        {
            var (name, shape, data) = tensors[i];
            if (i % 2 == 0)
            {
                var raw = new byte[data.Length * 2];
                var rounded = new float[data.Length];
                for (var j = 0; j < data.Length; j++)
                {
                    var bits = (uint)BitConverter.SingleToInt32Bits(data[j]);
                    var b16 = (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
                    BitConverter.GetBytes(b16).CopyTo(raw, j * 2);
                    rounded[j] = BitConverter.Int32BitsToSingle(b16 << 16);
                }

                first.Add(new SafeTensorEntry(name, SafeTensorDType.BF16, shape, raw));
                expected[name] = rounded;
            }
            else
            {
                var raw = new byte[data.Length * 2];
                var rounded = new float[data.Length];
                for (var j = 0; j < data.Length; j++)
                {
                    var h = (Half)data[j];
                    BitConverter.GetBytes(BitConverter.HalfToUInt16Bits(h)).CopyTo(raw, j * 2);
                    rounded[j] = (float)h;
                }

                second.Add(new SafeTensorEntry(name, SafeTensorDType.F16, shape, raw));
                expected[name] = rounded;
            }
        }

        File.WriteAllBytes(Path.Combine(dir, "model-00001-of-00002.safetensors"), SafeTensorsWriter.ToBytes(first));
        File.WriteAllBytes(Path.Combine(dir, "model-00002-of-00002.safetensors"), SafeTensorsWriter.ToBytes(second));
        var loaded = HfModelDirectory.Load(dir);
        loaded.Config.RopeTheta.Should().Be(1e6);
        foreach (var (name, _, data) in loaded.Tensors())
        {
            data.Should().Equal(expected[name], name);
        }
    }

    [Fact]
    public void The_registry_serves_valid_directories_and_skips_invalid_ones()
    {
        BuiltInModels.WriteHfDirectory(Small, 1, Path.Combine(_root, "good"));
        BuiltInModels.WriteHfDirectory(Small, 1, Path.Combine(_root, "missing-tensor"));
        var bad = Path.Combine(_root, "missing-tensor", "model.safetensors");
        var file = SafeTensorsFile.Parse(File.ReadAllBytes(bad));
        File.WriteAllBytes(bad, SafeTensorsWriter.ToBytes(file.Tensors.Where(t => t.Name != "model.norm.weight")
            .Select(t => new SafeTensorEntry(t.Name, t.DType, t.Shape, file.ReadBytes(t.Name)))));
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        Directory.CreateDirectory(Path.Combine(_root, "bad-config"));
        File.WriteAllText(Path.Combine(_root, "bad-config", "config.json"), "{");
        File.WriteAllBytes(Path.Combine(_root, "bad-config", "model.safetensors"), [1, 2, 3]);
        BuiltInModels.WriteHfDirectory(Small, 1, Path.Combine(_root, "corrupt"));
        File.WriteAllBytes(Path.Combine(_root, "corrupt", "model.safetensors"), [9, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);

        var registry = new ReferenceModelRegistry(_root, "good", NullLogger.Instance);
        registry.Models.Select(m => m.Name).Should().Equal("good", BuiltInModels.TinyName);
        registry.Get("good").Weights.Config.VocabSize.Should().Be(50);

        new ReferenceModelRegistry(Path.Combine(_root, "does-not-exist"), "nope", NullLogger.Instance)
            .Models.Select(m => m.Name).Should().Equal(BuiltInModels.TinyName);
    }

    [Fact]
    public void The_built_in_model_is_deterministic_and_untied()
    {
        var c = BuiltInModels.TinyConfig;
        c.TieWordEmbeddings.Should().BeFalse();
        var small = c with { VocabSize = 300 };
        BuiltInModels.Generate(small, BuiltInModels.TinySeed).LmHead.W.Should().Equal(BuiltInModels.Generate(small, BuiltInModels.TinySeed).LmHead.W);
    }
}
