using Microsoft.EntityFrameworkCore;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Sessions;

namespace TinkerServer.Infrastructure.Persistence.Repositories;

internal sealed class SessionRepository(AppDbContext db) : ISessionRepository
{
    private readonly AppDbContext _db = db;

    public Task<Session?> FindAsync(SessionId id, CancellationToken cancellationToken) =>
        _db.Sessions.FirstOrDefaultAsync(s => s.Id == id, cancellationToken);

    public async Task<IReadOnlyList<Session>> ListAsync(string owner, int offset, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        return await _db.Sessions
            .Where(s => s.Owner == owner)
            .OrderByDescending(s => s.CreatedAt)
            .ThenBy(s => s.Id)
            .Skip(Math.Max(0, offset))
            .Take(limit)
            .ToListAsync(cancellationToken);
    }

    public Task<Session?> FindByIdempotencyKeyAsync(string owner, string idempotencyKey, DateTimeOffset since, CancellationToken cancellationToken) =>
        _db.Sessions
            .Where(s => s.Owner == owner && s.IdempotencyKey == idempotencyKey && s.CreatedAt >= since)
            .OrderByDescending(s => s.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);

    public async Task<IReadOnlyList<Session>> ListStaleAsync(DateTimeOffset heartbeatBefore, CancellationToken cancellationToken) =>
        await _db.Sessions
            .Where(s => s.Status == SessionStatus.Active && s.LastHeartbeatAt < heartbeatBefore)
            .OrderBy(s => s.LastHeartbeatAt)
            .ToListAsync(cancellationToken);

    public void Add(Session session) => _db.Sessions.Add(session);
}
