namespace TinkerServer.Application.Common;

/// <summary>Timing of sessions and the engine; bound from the "TinkerServer" configuration section.</summary>
public sealed class EngineOptions
{
    /// <summary>A session with no heartbeat for this long expires and its runs are unloaded (SDK beats every 10 s).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long retrieve_future holds a request before answering 408 (must stay below the SDK's 45 s).</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
