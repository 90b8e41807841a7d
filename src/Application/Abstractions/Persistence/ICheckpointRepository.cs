using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Abstractions.Persistence;

/// <summary>Checkpoint rows. "Visible" means completed and not expired at the given time.</summary>
public interface ICheckpointRepository
{
    Task<Checkpoint?> FindAsync(CheckpointPath path, CancellationToken cancellationToken);

    /// <summary>Visible checkpoints of one run, newest first.</summary>
    Task<IReadOnlyList<Checkpoint>> ListVisibleByRunAsync(TrainingRunId runId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>One page of visible checkpoints of every run of an owner, newest first, with the exact total.</summary>
    Task<Page<Checkpoint>> ListVisibleAsync(string owner, int offset, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The newest visible checkpoint of each type for each of the given runs.</summary>
    Task<IReadOnlyList<Checkpoint>> ListLatestVisibleAsync(IReadOnlyCollection<TrainingRunId> runIds, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Checkpoints left pending (by a crash, at start-up).</summary>
    Task<IReadOnlyList<Checkpoint>> ListPendingAsync(CancellationToken cancellationToken);

    /// <summary>Completed checkpoints whose expiry has passed, oldest expiry first.</summary>
    Task<IReadOnlyList<Checkpoint>> ListExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Which of the given paths have a checkpoint row, whatever its status.</summary>
    Task<IReadOnlySet<CheckpointPath>> FindExistingAsync(IReadOnlyCollection<CheckpointPath> paths, CancellationToken cancellationToken);

    void Add(Checkpoint checkpoint);

    void Remove(Checkpoint checkpoint);

    /// <summary>Records a successful delete so a retry carrying the same idempotency key can be answered again.</summary>
    void AddTombstone(CheckpointTombstone tombstone);

    /// <summary>Forgets deletes older than <paramref name="before"/>; returns how many were removed.</summary>
    Task<int> DeleteTombstonesBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>A delete of this checkpoint with this idempotency key that succeeded after <paramref name="since"/>.</summary>
    Task<bool> HasTombstoneAsync(CheckpointPath path, string idempotencyKey, DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>Remembers a completed delete for a short while (the SDK retries after lost responses).</summary>
public sealed record CheckpointTombstone(CheckpointPath Path, string IdempotencyKey, DateTimeOffset DeletedAt);

public sealed record Page<T>(IReadOnlyList<T> Items, int TotalCount);
