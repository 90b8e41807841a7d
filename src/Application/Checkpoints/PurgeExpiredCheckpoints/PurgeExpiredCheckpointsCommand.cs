using Mediator;
using Microsoft.Extensions.Logging;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;

namespace TinkerServer.Application.Checkpoints.PurgeExpiredCheckpoints;

/// <summary>
/// Deletes checkpoints whose TTL has passed, in the same order as a client delete: the row is committed
/// away first, then the artifact goes. Listings hide expired rows already, so this only reclaims disk.
/// Delete tombstones past any retry window are dropped on the way.
/// </summary>
public sealed record PurgeExpiredCheckpointsCommand(int BatchSize = 100) : ICommand<int>;

public sealed partial class PurgeExpiredCheckpointsCommandHandler(
    ICheckpointRepository checkpoints,
    IUnitOfWork unitOfWork,
    IArtifactStorage storage,
    TimeProvider time,
    ILogger<PurgeExpiredCheckpointsCommandHandler> logger) : ICommandHandler<PurgeExpiredCheckpointsCommand, int>
{
    public async ValueTask<int> Handle(PurgeExpiredCheckpointsCommand command, CancellationToken cancellationToken)
    {
        // Tombstones only answer retries of a delete, which stop long before this.
        await checkpoints.DeleteTombstonesBeforeAsync(time.GetUtcNow() - (2 * DeleteCheckpoint.DeleteCheckpointCommand.ReplayWindow), cancellationToken);
        var expired = await checkpoints.ListExpiredAsync(time.GetUtcNow(), command.BatchSize, cancellationToken);
        if (expired.Count == 0)
        {
            return 0;
        }

        foreach (var checkpoint in expired)
        {
            checkpoints.Remove(checkpoint);
        }

        try
        {
            await unitOfWork.SaveChangesAsync(cancellationToken);
        }
        catch (ConcurrencyConflictException)
        {
            // A client deleted one of them meanwhile; the next sweep retries the rest.
            return 0;
        }

        foreach (var checkpoint in expired)
        {
            try
            {
                await storage.DeleteAsync(checkpoint.Path, CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogOrphan(logger, ex, checkpoint.Path.TinkerPath);
            }
        }

        return expired.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expired checkpoint {TinkerPath} was removed but its artifact could not be deleted")]
    private static partial void LogOrphan(ILogger logger, Exception exception, string tinkerPath);
}
