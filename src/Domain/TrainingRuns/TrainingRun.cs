using TinkerServer.Domain.Sessions;

namespace TinkerServer.Domain.TrainingRuns;

/// <summary>A LoRA training run on a base model; the SDK calls it a model.</summary>
public sealed class TrainingRun
{
    private TrainingRun()
    {
    }

    public TrainingRunId Id { get; private set; }

    public SessionId? SessionId { get; private set; }

    public string BaseModel { get; private set; } = "";

    public LoraConfig Lora { get; private set; } = null!;

    public string Owner { get; private set; } = "";

    public TrainingRunStatus Status { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset LastRequestTime { get; private set; }

    /// <summary>Free-form string metadata from create_model.</summary>
    public IReadOnlyDictionary<string, string> UserMetadata { get; private set; } = new Dictionary<string, string>();

    public static TrainingRun Create(
        TrainingRunId id,
        SessionId? sessionId,
        string baseModel,
        LoraConfig lora,
        string owner,
        DateTimeOffset now,
        IReadOnlyDictionary<string, string>? userMetadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(baseModel);
        ArgumentNullException.ThrowIfNull(lora);
        return new TrainingRun
        {
            Id = id,
            SessionId = sessionId,
            BaseModel = baseModel,
            Lora = lora,
            Owner = owner,
            Status = TrainingRunStatus.Active,
            CreatedAt = now,
            LastRequestTime = now,
            UserMetadata = userMetadata ?? new Dictionary<string, string>(),
        };
    }

    public void RecordRequest(DateTimeOffset now)
    {
        if (now > LastRequestTime)
        {
            LastRequestTime = now;
        }
    }

    /// <summary>Unloading frees the adapter in the backend; checkpoints are untouched.</summary>
    public void Unload() => Status = TrainingRunStatus.Unloaded;
}
