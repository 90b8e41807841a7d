using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Futures;

// What each queued request carries (canonical JSON in FutureRequest.Payload). Equal requests serialise
// equal, whatever wire format (JSON, protobuf, zstd) they arrived in.

public sealed record CreateModelPayload(string BaseModel, LoraConfig Lora);

public sealed record ForwardBackwardPayload(ForwardBackwardBatch Batch);

public sealed record OptimStepPayload(AdamParams AdamParams);

public sealed record SaveWeightsPayload(string Name, bool Overwrite, long? TtlSeconds);

/// <summary>Persistent with <see cref="Name"/>; ephemeral with <see cref="SamplingSessionId"/> (no name).</summary>
public sealed record SaveWeightsForSamplerPayload(string? Name, string? SamplingSessionId, long? TtlSeconds);

public sealed record LoadWeightsPayload(string Path, bool Optimizer);

public sealed record UnloadModelPayload(string ModelId);

public sealed record SamplePayload(SampleInput Input);

// Results of the small request kinds, stored already in their wire shape (snake_case, with "type").

public sealed record CreateModelResult(string ModelId, string Type = "create_model");

public sealed record UnloadModelResult(string ModelId, string Type = "unload_model");

public sealed record SaveWeightsResult(string Path, string Type = "save_weights");

public sealed record SaveWeightsForSamplerResult(string? Path, string? SamplingSessionId, string Type = "save_weights_for_sampler");

public sealed record LoadWeightsResult(string Path, string ModelId, string Type = "load_weights");
