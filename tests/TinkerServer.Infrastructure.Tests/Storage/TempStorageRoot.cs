using System.Security.Cryptography;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Tests.Storage;

/// <summary>
/// A fresh directory holding the checkpoint root and, beside it, an "outside" folder with a canary file
/// that no storage operation may read, change or remove.
/// </summary>
public sealed class TempStorageRoot : IDisposable
{
    public const string CanaryContent = "canary: must never be touched";

    public TempStorageRoot()
    {
        Base = Path.Join(Path.GetTempPath(), "tinker-storage-tests", Guid.NewGuid().ToString("N"));
        Root = Path.Join(Base, "root");
        Outside = Path.Join(Base, "outside");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        CanaryPath = Path.Join(Outside, "canary.txt");
        File.WriteAllText(CanaryPath, CanaryContent);
    }

    public string Base { get; }

    public string Root { get; }

    public string Outside { get; }

    public string CanaryPath { get; }

    public static CheckpointPath Training(string run, string name) =>
        new(TrainingRunId.Parse(run), CheckpointType.Training, CheckpointName.Parse(name));

    public static CheckpointPath Sampler(string run, string name) =>
        new(TrainingRunId.Parse(run), CheckpointType.Sampler, CheckpointName.Parse(name));

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    /// <summary>The canary and everything else outside the root are exactly as created.</summary>
    public void AssertOutsideUntouched(params string[] alsoExpected)
    {
        File.ReadAllText(CanaryPath).Should().Be(CanaryContent);
        var names = Directory.EnumerateFileSystemEntries(Outside).Select(Path.GetFileName).ToList();
        names.Should().BeEquivalentTo(alsoExpected.Append("canary.txt"));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Base, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder left behind must not fail a test
        }
    }
}
