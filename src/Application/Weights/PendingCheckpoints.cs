using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Application.Weights;

/// <summary>
/// Reserves the checkpoint row a save will complete. Runs only for a request seen the first time (after
/// deduplication), so a retried save never trips over its own checkpoint.
/// </summary>
public sealed class PendingCheckpoints(ICheckpointRepository checkpoints, TimeProvider time)
{
    /// <returns>
    /// Null when the pending row is in place (committed with the request), else the user error the
    /// request's future fails with. A name clash is not answered 409: the SDK retries 409 for minutes.
    /// </returns>
    public async Task<string?> ReserveAsync(CheckpointPath path, bool overwrite, long? ttlSeconds, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var existing = await checkpoints.FindAsync(path, cancellationToken);
        switch (existing?.Status)
        {
            case null:
                checkpoints.Add(Checkpoint.CreatePending(path, now, ttlSeconds));
                return null;
            case CheckpointStatus.Pending:
                return $"Checkpoint {path} is already being saved by another request.";
            case CheckpointStatus.Completed when !overwrite:
                return $"Checkpoint {path} already exists; save under another name or pass overwrite=true.";
            default:
                // A failed save may always be retried under its name; a completed one only with overwrite.
                existing.Reopen(now, ttlSeconds);
                return null;
        }
    }
}
