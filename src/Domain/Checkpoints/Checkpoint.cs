using TinkerServer.Domain.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Domain.Checkpoints;

/// <summary>
/// A saved artifact of a training run. Its row is the truth: a checkpoint is listed only once it is
/// completed, and its artifact is removed only after its row is gone.
/// </summary>
public sealed class Checkpoint
{
    private Checkpoint()
    {
    }

    public TrainingRunId TrainingRunId { get; private set; }

    public CheckpointType Type { get; private set; }

    public CheckpointName Name { get; private set; }

    public CheckpointStatus Status { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? CompletedAt { get; private set; }

    public long? SizeBytes { get; private set; }

    public bool IsPublic { get; private set; }

    /// <summary>Requested lifetime, applied from completion (ttl_seconds on save).</summary>
    public long? TtlSeconds { get; private set; }

    public DateTimeOffset? ExpiresAt { get; private set; }

    public string? Error { get; private set; }

    public CheckpointPath Path => new(TrainingRunId, Type, Name);

    /// <summary>The time shown to clients: completion when known, else creation.</summary>
    public DateTimeOffset Time => CompletedAt ?? CreatedAt;

    public static Checkpoint CreatePending(CheckpointPath path, DateTimeOffset now, long? ttlSeconds = null)
    {
        if (ttlSeconds is <= 0)
        {
            throw new DomainRuleViolationException("ttl_seconds must be a positive number of seconds.");
        }

        return new Checkpoint
        {
            TrainingRunId = path.TrainingRunId,
            Type = path.Type,
            Name = path.Name,
            Status = CheckpointStatus.Pending,
            CreatedAt = now,
            TtlSeconds = ttlSeconds,
        };
    }

    /// <summary>A completed checkpoint whose artifact already exists (import, tests).</summary>
    public static Checkpoint CreateCompleted(CheckpointPath path, DateTimeOffset now, long sizeBytes)
    {
        var checkpoint = CreatePending(path, now);
        checkpoint.Complete(sizeBytes, now);
        return checkpoint;
    }

    public void Complete(long sizeBytes, DateTimeOffset now)
    {
        if (Status != CheckpointStatus.Pending)
        {
            throw new DomainRuleViolationException($"Checkpoint {Path} is {Status.ToString().ToLowerInvariant()}, not pending.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(sizeBytes);
        Status = CheckpointStatus.Completed;
        SizeBytes = sizeBytes;
        CompletedAt = now;
        ExpiresAt = TtlSeconds is { } ttl ? now.AddSeconds(ttl) : null;
    }

    public void Fail(string error, DateTimeOffset now)
    {
        if (Status != CheckpointStatus.Pending)
        {
            throw new DomainRuleViolationException($"Checkpoint {Path} is {Status.ToString().ToLowerInvariant()}, not pending.");
        }

        Status = CheckpointStatus.Failed;
        Error = error;
        CompletedAt = now;
    }

    /// <summary>
    /// Starts writing this checkpoint again (overwrite, or a retry after a failure). It stays hidden from
    /// listings until the new artifact has been committed.
    /// </summary>
    public void Reopen(DateTimeOffset now, long? ttlSeconds)
    {
        if (Status == CheckpointStatus.Pending)
        {
            throw new CheckpointNotReadyException($"Checkpoint {Path} is still being created.");
        }

        if (ttlSeconds is <= 0)
        {
            throw new DomainRuleViolationException("ttl_seconds must be a positive number of seconds.");
        }

        Status = CheckpointStatus.Pending;
        CreatedAt = now;
        CompletedAt = null;
        SizeBytes = null;
        Error = null;
        TtlSeconds = ttlSeconds;
        ExpiresAt = null;
    }

    /// <summary>A pending checkpoint is still being written: deleting it would race the writer.</summary>
    public void EnsureDeletable()
    {
        if (Status == CheckpointStatus.Pending)
        {
            throw new CheckpointNotReadyException($"Checkpoint {Path} is still being created; try again when it has completed.");
        }
    }

    /// <summary>Downloads, loads and sampling need a completed artifact.</summary>
    public void EnsureReadable()
    {
        switch (Status)
        {
            case CheckpointStatus.Pending:
                throw new CheckpointNotReadyException($"Checkpoint {Path} is still being created; try again when it has completed.");
            case CheckpointStatus.Failed:
                throw new DomainRuleViolationException($"Checkpoint {Path} failed to save: {Error}");
        }
    }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } at && at <= now;

    /// <summary>Listed checkpoints: completed and not expired.</summary>
    public bool IsVisible(DateTimeOffset now) => Status == CheckpointStatus.Completed && !IsExpired(now);

    public void Publish() => IsPublic = true;

    public void Unpublish() => IsPublic = false;

    /// <summary>Sets the lifetime from now; null keeps the checkpoint forever.</summary>
    public void SetTtl(long? ttlSeconds, DateTimeOffset now)
    {
        if (ttlSeconds is <= 0)
        {
            throw new DomainRuleViolationException("ttl_seconds must be a positive number of seconds, or null for no expiry.");
        }

        TtlSeconds = ttlSeconds;
        ExpiresAt = ttlSeconds is { } ttl ? now.AddSeconds(ttl) : null;
    }
}
