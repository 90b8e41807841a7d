namespace TinkerServer.Api.Contracts;

/// <summary>The SDK's Checkpoint (WIRE-CONTRACT §4.1), plus training_run_id which newer docs read.</summary>
public sealed record CheckpointDto(
    string CheckpointId,
    string CheckpointType,
    DateTimeOffset Time,
    string TinkerPath,
    long? SizeBytes,
    bool Public,
    DateTimeOffset? ExpiresAt,
    string TrainingRunId);

public sealed record CursorDto(int Offset, int Limit, int TotalCount);

public sealed record CheckpointsListResponse(IReadOnlyList<CheckpointDto> Checkpoints, CursorDto? Cursor);

public sealed record TrainingRunDto(
    string TrainingRunId,
    string BaseModel,
    string ModelOwner,
    bool IsLora,
    bool Corrupted,
    int? LoraRank,
    DateTimeOffset LastRequestTime,
    CheckpointDto? LastCheckpoint,
    CheckpointDto? LastSamplerCheckpoint,
    IReadOnlyDictionary<string, string>? UserMetadata);

public sealed record TrainingRunsResponse(IReadOnlyList<TrainingRunDto> TrainingRuns, CursorDto Cursor);

public sealed record WeightsInfoRequest(string? TinkerPath);

public sealed record WeightsInfoResponse(
    string BaseModel,
    bool IsLora,
    int? LoraRank,
    bool? TrainUnembed,
    bool? TrainMlp,
    bool? TrainAttn);

/// <summary>PUT .../ttl: ttl_seconds > 0 sets expires_at = now + ttl; null removes the expiry.</summary>
public sealed record SetTtlRequest(long? TtlSeconds);
