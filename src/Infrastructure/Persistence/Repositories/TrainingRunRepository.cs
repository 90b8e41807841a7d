using Microsoft.EntityFrameworkCore;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Persistence.Repositories;

internal sealed class TrainingRunRepository(AppDbContext db) : ITrainingRunRepository
{
    private readonly AppDbContext _db = db;

    public Task<TrainingRun?> FindAsync(TrainingRunId id, CancellationToken cancellationToken) =>
        _db.TrainingRuns.FirstOrDefaultAsync(r => r.Id == id, cancellationToken);

    public async Task<Page<TrainingRun>> ListAsync(string owner, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = _db.TrainingRuns.Where(r => r.Owner == owner);
        var total = await query.CountAsync(cancellationToken);
        if (limit <= 0 || offset >= total)
        {
            return new Page<TrainingRun>([], total);
        }

        var items = await query
            .OrderByDescending(r => r.LastRequestTime)
            .ThenByDescending(r => r.CreatedAt)
            .ThenBy(r => r.Id)
            .Skip(Math.Max(0, offset))
            .Take(limit)
            .ToListAsync(cancellationToken);
        return new Page<TrainingRun>(items, total);
    }

    public async Task<IReadOnlyList<TrainingRun>> ListBySessionAsync(SessionId sessionId, CancellationToken cancellationToken) =>
        await _db.TrainingRuns
            .Where(r => r.SessionId == sessionId)
            .OrderBy(r => r.CreatedAt)
            .ThenBy(r => r.Id)
            .ToListAsync(cancellationToken);

    public void Add(TrainingRun run) => _db.TrainingRuns.Add(run);
}
