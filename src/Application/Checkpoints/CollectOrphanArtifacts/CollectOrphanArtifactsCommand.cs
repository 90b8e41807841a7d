using Mediator;
using Microsoft.Extensions.Logging;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Application.Checkpoints.CollectOrphanArtifacts;

/// <summary>
/// Removes artifacts that no checkpoint row names: what a delete leaves when removing the file failed after
/// its row was committed away. Safe because every writer creates the row before the artifact (a save's
/// pending row commits with its request), so an artifact without any row is never one being written.
/// </summary>
public sealed record CollectOrphanArtifactsCommand(int BatchSize = 500) : ICommand<int>;

public sealed partial class CollectOrphanArtifactsCommandHandler(
    IArtifactStorage storage,
    ICheckpointRepository checkpoints,
    ILogger<CollectOrphanArtifactsCommandHandler> logger) : ICommandHandler<CollectOrphanArtifactsCommand, int>
{
    public async ValueTask<int> Handle(CollectOrphanArtifactsCommand command, CancellationToken cancellationToken)
    {
        var removed = 0;
        var batch = new List<CheckpointPath>(command.BatchSize);
        await foreach (var path in storage.EnumerateAsync(cancellationToken))
        {
            batch.Add(path);
            if (batch.Count == command.BatchSize)
            {
                removed += await CollectAsync(batch, cancellationToken);
                batch.Clear();
            }
        }

        return removed + await CollectAsync(batch, cancellationToken);
    }

    private async Task<int> CollectAsync(List<CheckpointPath> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        var existing = await checkpoints.FindExistingAsync(batch, cancellationToken);
        var removed = 0;
        foreach (var orphan in batch.Where(p => !existing.Contains(p)))
        {
            if (await storage.DeleteAsync(orphan, cancellationToken))
            {
                LogRemoved(logger, orphan.TinkerPath);
                removed++;
            }
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed orphan artifact {TinkerPath} (no checkpoint row names it)")]
    private static partial void LogRemoved(ILogger logger, string tinkerPath);
}
