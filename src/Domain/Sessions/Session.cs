namespace TinkerServer.Domain.Sessions;

/// <summary>A client's session: kept alive by heartbeats; its runs are unloaded when it expires.</summary>
public sealed class Session
{
    private Session()
    {
    }

    public SessionId Id { get; private set; }

    public string Owner { get; private set; } = "";

    public SessionStatus Status { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset LastHeartbeatAt { get; private set; }

    public string? SdkVersion { get; private set; }

    /// <summary>X-Idempotency-Key of the create_session call, so its retries get this session back.</summary>
    public string? IdempotencyKey { get; private set; }

    public IReadOnlyList<string> Tags { get; private set; } = [];

    public IReadOnlyDictionary<string, string> UserMetadata { get; private set; } = new Dictionary<string, string>();

    public static Session Start(
        SessionId id,
        string owner,
        DateTimeOffset now,
        string? sdkVersion = null,
        IReadOnlyList<string>? tags = null,
        IReadOnlyDictionary<string, string>? userMetadata = null,
        string? idempotencyKey = null) => new()
        {
            IdempotencyKey = idempotencyKey,
            Id = id,
            Owner = owner,
            Status = SessionStatus.Active,
            CreatedAt = now,
            LastHeartbeatAt = now,
            SdkVersion = sdkVersion,
            Tags = tags ?? [],
            UserMetadata = userMetadata ?? new Dictionary<string, string>(),
        };

    public void Heartbeat(DateTimeOffset now)
    {
        if (Status == SessionStatus.Active && now > LastHeartbeatAt)
        {
            LastHeartbeatAt = now;
        }
    }

    public bool IsStale(DateTimeOffset now, TimeSpan timeout) =>
        Status == SessionStatus.Active && now - LastHeartbeatAt > timeout;

    public void Expire() => Status = SessionStatus.Expired;
}
