using Microsoft.Extensions.Logging.Abstractions;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

/// <summary>A backend whose models directory holds a copy of the fixture model under the name "qwen3-tiny".</summary>
internal sealed class BackendScope : IDisposable
{
    public const string TinyName = "qwen3-tiny";

    public BackendScope()
    {
        Root = Path.Combine(Path.GetTempPath(), "tinker-backend-" + Guid.NewGuid().ToString("N"));
        var dir = Path.Combine(Root, TinyName);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Qwen3TinyFixture.ModelDirectory))
        {
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }

        Registry = new ReferenceModelRegistry(Root, null, NullLogger.Instance);
        Backend = new ReferenceTrainingBackend(Registry, NullLogger<ReferenceTrainingBackend>.Instance);
    }

    public string Root { get; }

    public ReferenceModelRegistry Registry { get; }

    public ReferenceTrainingBackend Backend { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static Datum CeDatum(int[] sequence)
    {
        var targets = sequence[1..].Select(t => (long)t).ToArray();
        return new Datum(sequence[..^1], new Dictionary<string, TensorData> { ["target_tokens"] = TensorData.FromInts(targets) });
    }

    public static ForwardBackwardBatch CeBatch(params int[][] sequences) =>
        new([.. sequences.Select(CeDatum)], LossFunctions.CrossEntropy, new Dictionary<string, double>());
}
