using TinkerServer.Domain.Sessions;

namespace TinkerServer.Application.Abstractions.Persistence;

public interface ISessionRepository
{
    Task<Session?> FindAsync(SessionId id, CancellationToken cancellationToken);

    /// <summary>One page of an owner's sessions, newest first.</summary>
    Task<IReadOnlyList<Session>> ListAsync(string owner, int offset, int limit, CancellationToken cancellationToken);

    /// <summary>The session an earlier create_session with this idempotency key made after <paramref name="since"/>.</summary>
    Task<Session?> FindByIdempotencyKeyAsync(string owner, string idempotencyKey, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Active sessions whose last heartbeat is before <paramref name="heartbeatBefore"/>.</summary>
    Task<IReadOnlyList<Session>> ListStaleAsync(DateTimeOffset heartbeatBefore, CancellationToken cancellationToken);

    void Add(Session session);
}
