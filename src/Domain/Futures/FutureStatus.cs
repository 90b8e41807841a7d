namespace TinkerServer.Domain.Futures;

public enum FutureStatus
{
    Pending = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
}

/// <summary>The failure categories the SDK understands (RequestFailedError.category).</summary>
public static class FailureCategory
{
    public const string User = "user";
    public const string Server = "server";
    public const string Unknown = "unknown";
}
