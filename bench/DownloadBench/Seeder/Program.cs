using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;
using TinkerServer.Infrastructure;
using TinkerServer.Infrastructure.Persistence;

// Seeds one training run with one completed checkpoint whose artifact is a large file, for the download
// benchmark (bench/download/run.sh). It goes through the same repositories and staged storage writes as
// the server (there is deliberately no endpoint that fabricates checkpoints), so it must run against the
// server's DataDirectory before the server starts.
// Usage: Seeder --data-dir DIR [--size-mib 1024] [--run bench-download] [--name bench-1gib]
// Prints "run kind name bytes" on success.
// The owner the server's single-tenant DefaultCaller uses (Api/Security), so the run is the caller's own.
const string DefaultOwner = "default";

var options = ParseArguments(args);
var configuration = new ConfigurationBuilder()
    .AddInMemoryCollection(new Dictionary<string, string?> { ["TinkerServer:DataDirectory"] = options.DataDirectory })
    .Build();

var services = new ServiceCollection();
services.AddLogging();
services.AddInfrastructureServices(configuration);
await using var provider = services.BuildServiceProvider(validateScopes: true);
await provider.InitializeDatabaseAsync();

var runId = TrainingRunId.Parse(options.Run);
var path = new CheckpointPath(runId, CheckpointType.Training, CheckpointName.Parse(options.Name));
var now = DateTimeOffset.UtcNow;
var length = options.SizeMiB * 1024L * 1024L;

await using (var scope = provider.CreateAsyncScope())
{
    var sp = scope.ServiceProvider;
    var storage = sp.GetRequiredService<IArtifactStorage>();
    await using (var staged = await storage.BeginWriteAsync(path, CancellationToken.None))
    {
        await WriteNoiseAsync(staged.Content, length);
        await staged.CommitAsync(overwrite: true, CancellationToken.None);
    }

    // Idempotent: a rerun against the same directory replaces the artifact and keeps the rows.
    var runs = sp.GetRequiredService<ITrainingRunRepository>();
    if (await runs.FindAsync(runId, CancellationToken.None) is null)
    {
        runs.Add(TrainingRun.Create(runId, null, "tinker-tiny-qwen3", LoraConfig.Create(8, 1), DefaultOwner, now));
    }

    var checkpoints = sp.GetRequiredService<ICheckpointRepository>();
    if (await checkpoints.FindAsync(path, CancellationToken.None) is null)
    {
        checkpoints.Add(Checkpoint.CreateCompleted(path, now, length));
    }

    await sp.GetRequiredService<IUnitOfWork>().SaveChangesAsync(CancellationToken.None);
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{runId.Value} {path.Type.ToKind()} {path.Name} {length}"));
return 0;

// Incompressible bytes in 1 MiB blocks: one random block mixed with a per-block counter, so the file is
// not a repetition (no transparent compression can help either side) and memory stays at one block.
static async Task WriteNoiseAsync(Stream destination, long length)
{
    const int BlockSize = 1024 * 1024;
    var seed = RandomNumberGenerator.GetBytes(BlockSize);
    var block = new byte[BlockSize];
    long written = 0;
    for (long index = 0; written < length; index++)
    {
        var salt = BitConverter.GetBytes(unchecked((ulong)index * 0x9E3779B97F4A7C15UL));
        for (var i = 0; i < BlockSize; i++)
        {
            block[i] = (byte)(seed[i] ^ salt[i & 7] ^ (byte)(i >> 11));
        }

        var count = (int)Math.Min(BlockSize, length - written);
        await destination.WriteAsync(block.AsMemory(0, count));
        written += count;
    }
}

static SeedOptions ParseArguments(string[] args)
{
    var result = new SeedOptions();
    for (var i = 0; i < args.Length; i++)
    {
        var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"Missing value after {args[i]}.");
        switch (args[i])
        {
            case "--data-dir": result = result with { DataDirectory = value }; break;
            case "--size-mib": result = result with { SizeMiB = int.Parse(value, CultureInfo.InvariantCulture) }; break;
            case "--run": result = result with { Run = value }; break;
            case "--name": result = result with { Name = value }; break;
            default: throw new ArgumentException($"Unknown argument {args[i]}.");
        }

        i++;
    }

    return string.IsNullOrWhiteSpace(result.DataDirectory) || result.SizeMiB <= 0
        ? throw new ArgumentException("Usage: Seeder --data-dir DIR [--size-mib N] [--run ID] [--name NAME]")
        : result;
}

internal sealed record SeedOptions
{
    public string DataDirectory { get; init; } = "";

    public int SizeMiB { get; init; } = 1024;

    public string Run { get; init; } = "bench-download";

    public string Name { get; init; } = "bench-1gib";
}
