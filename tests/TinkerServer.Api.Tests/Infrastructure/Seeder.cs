using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Api.Security;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Api.Tests.Infrastructure;

/// <summary>
/// Puts runs and checkpoints in place the way the server itself does (repositories and staged storage
/// writes); there is deliberately no public endpoint that fabricates checkpoints.
/// </summary>
public sealed class Seeder(TinkerApiFactory factory)
{
    public static string NewRunId(string prefix = "run") => $"{prefix}-{Guid.NewGuid():N}";

    public async Task<TrainingRunId> RunAsync(string? runId = null, string owner = DefaultCaller.DefaultOwner)
    {
        var id = TrainingRunId.Parse(runId ?? NewRunId());
        await factory.WithScopeAsync(async sp =>
        {
            sp.GetRequiredService<ITrainingRunRepository>().Add(
                TrainingRun.Create(id, null, "tinker-tiny-qwen3", LoraConfig.Create(8, 1), owner, factory.Time.GetUtcNow()));
            await sp.GetRequiredService<IUnitOfWork>().SaveChangesAsync(CancellationToken.None);
        });
        return id;
    }

    /// <summary>A completed checkpoint with a file artifact of <paramref name="size"/> random bytes; returns the bytes.</summary>
    public async Task<byte[]> CompletedAsync(TrainingRunId run, CheckpointType type, string name, int size = 4096, TimeSpan? age = null)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var path = new CheckpointPath(run, type, CheckpointName.Parse(name));
        // The server's own order: the pending row first, then the artifact, then completion.
        var created = factory.Time.GetUtcNow() - (age ?? TimeSpan.Zero);
        await factory.WithScopeAsync(async sp =>
        {
            var checkpoint = Checkpoint.CreatePending(path, created);
            sp.GetRequiredService<ICheckpointRepository>().Add(checkpoint);
            var unitOfWork = sp.GetRequiredService<IUnitOfWork>();
            await unitOfWork.SaveChangesAsync(CancellationToken.None);
            await using (var staged = await sp.GetRequiredService<IArtifactStorage>().BeginWriteAsync(path, CancellationToken.None))
            {
                await staged.Content.WriteAsync(bytes);
                await staged.CommitAsync(overwrite: false, CancellationToken.None);
            }

            checkpoint.Complete(bytes.Length, created);
            await unitOfWork.SaveChangesAsync(CancellationToken.None);
        });
        return bytes;
    }

    public async Task PendingAsync(TrainingRunId run, CheckpointType type, string name)
    {
        var path = new CheckpointPath(run, type, CheckpointName.Parse(name));
        await factory.WithScopeAsync(async sp =>
        {
            sp.GetRequiredService<ICheckpointRepository>().Add(Checkpoint.CreatePending(path, factory.Time.GetUtcNow()));
            await sp.GetRequiredService<IUnitOfWork>().SaveChangesAsync(CancellationToken.None);
        });
    }

    public Task<ArtifactInfo?> ArtifactAsync(TrainingRunId run, CheckpointType type, string name) =>
        factory.WithScope(sp => sp.GetRequiredService<IArtifactStorage>()
            .GetInfoAsync(new CheckpointPath(run, type, CheckpointName.Parse(name)), CancellationToken.None));
}
