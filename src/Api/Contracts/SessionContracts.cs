namespace TinkerServer.Api.Contracts;

public sealed record CreateSessionRequest(
    IReadOnlyList<string>? Tags,
    IReadOnlyDictionary<string, string>? UserMetadata,
    string? SdkVersion,
    string? ProjectId);

public sealed record CreateSessionResponse(string SessionId, string? InfoMessage = null, string? WarningMessage = null, string? ErrorMessage = null)
{
    public string Type => "create_session";
}

public sealed record SessionHeartbeatRequest(string? SessionId);

public sealed record SessionHeartbeatResponse
{
    public string Type => "session_heartbeat";
}

public sealed record ListSessionsResponse(IReadOnlyList<string> Sessions);

public sealed record GetSessionResponse(IReadOnlyList<string> TrainingRunIds, IReadOnlyList<string> SamplerIds);
