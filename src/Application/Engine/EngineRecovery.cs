using Microsoft.Extensions.Logging;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Engine;

/// <param name="FailedRequestIds">Save requests failed with their checkpoint; their waiters must be woken.</param>
public sealed record RecoveryReport(int RequeuedRequests, int FailedCheckpoints, IReadOnlyList<string> FailedRequestIds, int RemovedLeftovers);

/// <summary>
/// Start-up recovery, run once before the engine takes work. Requests a dead worker left running go back to
/// the queue. Checkpoints left pending by a crash become failed, and their staged leftovers are removed, so
/// nothing half-written is ever listed.
/// </summary>
/// <remarks>
/// A save request whose checkpoint is failed here is failed too (category server), even if it never started:
/// the adapter it would save lived in backend memory and did not survive the restart, so it could only fail
/// later, and a completed future must never describe a failed checkpoint. This assumes no other engine is
/// working on the same database at start-up (one engine per database today; several workers would need
/// claim leases instead of this sweep).
/// </remarks>
public sealed class EngineRecovery(
    IRequestQueue queue,
    IFutureRepository futures,
    ICheckpointRepository checkpoints,
    IArtifactStorage storage,
    IUnitOfWork unitOfWork,
    TimeProvider time,
    ILogger<EngineRecovery> logger)
{
    public const string InterruptedSaveMessage =
        "The server stopped before this checkpoint was written; nothing was saved. Save it again.";

    private static readonly RequestKind[] SaveKinds = [RequestKind.SaveWeights, RequestKind.SaveWeightsForSampler];

    public async Task<RecoveryReport> RecoverAsync(CancellationToken cancellationToken)
    {
        var requeued = await queue.RequeueAbandonedAsync(cancellationToken);
        var now = time.GetUtcNow();

        var pending = await checkpoints.ListPendingAsync(cancellationToken);
        var failedPaths = new HashSet<CheckpointPath>();
        foreach (var checkpoint in pending)
        {
            checkpoint.Fail(InterruptedSaveMessage, now);
            failedPaths.Add(checkpoint.Path);
        }

        var failedRequests = new List<string>();
        if (failedPaths.Count > 0)
        {
            foreach (var request in await futures.ListUnfinishedAsync(SaveKinds, cancellationToken))
            {
                if (RequestExecutor.PersistentSavePath(request) is { } path && failedPaths.Contains(path))
                {
                    request.Fail(InterruptedSaveMessage, FailureCategory.Server, now);
                    failedRequests.Add(request.Id);
                }
            }
        }

        await unitOfWork.SaveChangesAsync(cancellationToken);

        // After the commit: if it failed, the leftovers are still only garbage and are removed next time.
        var removed = await storage.CleanUpLeftoversAsync(cancellationToken);
        if (requeued + pending.Count + removed > 0)
        {
            logger.LogWarning(
                "Start-up recovery: {Requeued} interrupted requests requeued, {Checkpoints} pending checkpoints failed " +
                "({Requests} save requests failed with them), {Leftovers} staged leftovers removed",
                requeued, pending.Count, failedRequests.Count, removed);
        }

        return new RecoveryReport(requeued, pending.Count, failedRequests, removed);
    }
}
