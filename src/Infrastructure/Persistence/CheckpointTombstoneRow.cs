using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Persistence;

/// <summary>The stored form of a CheckpointTombstone: the path split into its key columns.</summary>
internal sealed class CheckpointTombstoneRow
{
    public long Id { get; set; }

    public TrainingRunId TrainingRunId { get; set; }

    public CheckpointType Type { get; set; }

    public CheckpointName Name { get; set; }

    public string IdempotencyKey { get; set; } = "";

    public DateTimeOffset DeletedAt { get; set; }
}
