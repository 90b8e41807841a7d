namespace TinkerServer.Api.Errors;

/// <summary>The error body every failure carries: FastAPI's {"detail": "..."}; never empty.</summary>
public sealed record ErrorBody(string Detail);

public static class ErrorHeaders
{
    /// <summary>Tells the SDK's HTTP layer not to retry a deterministic failure (it retries 408/409/429/5xx).</summary>
    public const string ShouldRetry = "x-should-retry";

    /// <summary>Statuses the SDK retries on its own: a deterministic one must say not to.</summary>
    public static bool IsRetriedBySdk(int status) => status is 408 or 409 or 429 or >= 500;
}
