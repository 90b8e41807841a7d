using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Sessions;

namespace TinkerServer.Application.Sessions;

/// <summary>Finds one of the caller's sessions, or 404.</summary>
public sealed class SessionAccess(ISessionRepository sessions, ICurrentCaller caller)
{
    public async Task<Session> GetAsync(string? sessionId, bool requireActive, CancellationToken cancellationToken)
    {
        var id = SessionId.Parse(sessionId);
        var session = await sessions.FindAsync(id, cancellationToken);
        if (session is null || session.Owner != caller.Owner)
        {
            throw new NotFoundException($"Session '{id}' not found.");
        }

        if (requireActive && session.Status != SessionStatus.Active)
        {
            throw new NotFoundException($"Session '{id}' has expired; create a new one.");
        }

        return session;
    }
}
