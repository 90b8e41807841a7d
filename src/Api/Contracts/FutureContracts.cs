namespace TinkerServer.Api.Contracts;

public sealed record RetrieveFutureRequest(string? RequestId, bool? AllowMetadataOnly);

/// <summary>The long-poll elapsed: the SDK polls again at once.</summary>
public sealed record TryAgainResponse(string RequestId, string QueueState = "active", string? QueueStateReason = null)
{
    public string Type => "try_again";
}

/// <summary>A failed request: HTTP 200 with this body, which the SDK raises as RequestFailedError.</summary>
public sealed record FutureFailedResponse(string Error, string Category);
