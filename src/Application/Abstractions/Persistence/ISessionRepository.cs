using TinkerServer.Domain.Sessions;

namespace TinkerServer.Application.Abstractions.Persistence;

public interface ISessionRepository
{
    Task<Session?> FindAsync(SessionId id, CancellationToken cancellationToken);

    /// <summary>One page of an owner's sessions, newest first.</summary>
    Task<IReadOnlyList<Session>> ListAsync(string owner, int offset, int limit, CancellationToken cancellationToken);

    void Add(Session session);
}
