using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Application.Checkpoints;

/// <summary>A checkpoint as the use cases report it.</summary>
public sealed record CheckpointResult(
    string TrainingRunId,
    string CheckpointId,
    CheckpointType CheckpointType,
    DateTimeOffset Time,
    string TinkerPath,
    long? SizeBytes,
    bool Public,
    DateTimeOffset? ExpiresAt)
{
    public static CheckpointResult From(Checkpoint checkpoint) => new(
        checkpoint.TrainingRunId.Value,
        checkpoint.Path.CheckpointId,
        checkpoint.Type,
        checkpoint.Time.ToUniversalTime(),
        checkpoint.Path.TinkerPath,
        checkpoint.SizeBytes,
        checkpoint.IsPublic,
        checkpoint.ExpiresAt?.ToUniversalTime());
}
