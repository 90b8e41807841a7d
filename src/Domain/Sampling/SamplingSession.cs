using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Domain.Sampling;

/// <summary>
/// A sampler: the base model alone, a sampler checkpoint (model_path), or an ephemeral snapshot of a
/// training run's weights. Ids follow the hosted form "{session}:sample:{n}".
/// </summary>
public sealed class SamplingSession
{
    private SamplingSession()
    {
    }

    public string Id { get; private set; } = "";

    public SessionId SessionId { get; private set; }

    public string BaseModel { get; private set; } = "";

    /// <summary>The sampler checkpoint sampled from, if any.</summary>
    public CheckpointPath? ModelPath { get; private set; }

    /// <summary>For ephemeral samplers: the run whose weights were snapshotted.</summary>
    public TrainingRunId? SourceModelId { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static string IdFor(SessionId session, long samplingSessionSeqId) => $"{session.Value}:sample:{samplingSessionSeqId}";

    public static SamplingSession ForBaseModel(string id, SessionId session, string baseModel, DateTimeOffset now) =>
        new() { Id = id, SessionId = session, BaseModel = baseModel, CreatedAt = now };

    public static SamplingSession ForCheckpoint(string id, SessionId session, string baseModel, CheckpointPath path, DateTimeOffset now) =>
        new() { Id = id, SessionId = session, BaseModel = baseModel, ModelPath = path, CreatedAt = now };

    public static SamplingSession Ephemeral(string id, SessionId session, string baseModel, TrainingRunId source, DateTimeOffset now) =>
        new() { Id = id, SessionId = session, BaseModel = baseModel, SourceModelId = source, CreatedAt = now };
}
