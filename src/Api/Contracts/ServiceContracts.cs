namespace TinkerServer.Api.Contracts;

public sealed record SupportedModelDto(string ModelName, int MaxContextLength);

public sealed record ServerCapabilitiesResponse(IReadOnlyList<SupportedModelDto> SupportedModels);

/// <summary>
/// What the SDK reads before anything else. pjwt auth stays off (the SDK would then ask for JWTs);
/// the protobuf flags are advertised only when the protobuf wire format is served.
/// </summary>
public sealed record ClientConfigResponse(
    bool PjwtAuthEnabled,
    bool ProtoWriteFwdbwd,
    bool FwdViaFwdbwd,
    bool ProtoCompressFwdbwd,
    bool CreateModelViaLoadWeights,
    bool ParallelFwdbwdChunks);

public sealed record TelemetryResponse(string Status);

public sealed record HealthResponse(string Status);

public sealed record FutureHandleResponse(string RequestId, string? ModelId);
