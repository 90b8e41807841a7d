namespace TinkerServer.Api.Contracts;

public sealed record AdamParamsDto(
    double? LearningRate,
    double? Beta1,
    double? Beta2,
    double? Eps,
    double? WeightDecay,
    double? GradClipNorm);

public sealed record OptimStepRequest(string? ModelId, long? SeqId, AdamParamsDto? AdamParams);

public sealed record SaveWeightsRequest(string? ModelId, string? Path, long? SeqId, long? TtlSeconds, bool? Overwrite);

public sealed record SaveWeightsForSamplerRequest(string? ModelId, string? Path, long? SamplingSessionSeqId, long? SeqId, long? TtlSeconds);

public sealed record LoadWeightsRequest(
    string? ModelId,
    string? Path,
    long? SeqId,
    bool? Optimizer,
    string? SessionId,
    long? ModelSeqId);
