using Microsoft.EntityFrameworkCore;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Sampling;
using TinkerServer.Domain.Sessions;

namespace TinkerServer.Infrastructure.Persistence.Repositories;

internal sealed class EfSamplingSessionRepository(AppDbContext db) : ISamplingSessionRepository
{
    private readonly AppDbContext _db = db;

    public Task<SamplingSession?> FindAsync(string id, CancellationToken cancellationToken) =>
        _db.SamplingSessions.FirstOrDefaultAsync(s => s.Id == id, cancellationToken);

    public async Task<IReadOnlyList<SamplingSession>> ListBySessionAsync(SessionId sessionId, CancellationToken cancellationToken) =>
        await _db.SamplingSessions
            .Where(s => s.SessionId == sessionId)
            .OrderBy(s => s.CreatedAt)
            .ThenBy(s => s.Id)
            .ToListAsync(cancellationToken);

    public void Add(SamplingSession samplingSession) => _db.SamplingSessions.Add(samplingSession);
}
