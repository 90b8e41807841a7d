using Microsoft.EntityFrameworkCore;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Infrastructure.Persistence.Repositories;

internal sealed class EfFutureRepository(AppDbContext db) : IFutureRepository
{
    private readonly AppDbContext _db = db;

    // Untracked: a second read in the same scope must see the engine's commit, not the first instance.
    public Task<FutureRequest?> FindAsync(string requestId, CancellationToken cancellationToken) =>
        _db.Futures.AsNoTracking().FirstOrDefaultAsync(f => f.Id == requestId, cancellationToken);

    public Task<FutureRequest?> FindByDedupKeyAsync(string dedupKey, CancellationToken cancellationToken) =>
        _db.Futures.AsNoTracking().FirstOrDefaultAsync(f => f.DedupKey == dedupKey, cancellationToken);

    public Task<bool> HasTrainingRequestsAsync(string modelId, CancellationToken cancellationToken) =>
        _db.Futures.AnyAsync(f => f.ModelId == modelId && f.Kind != RequestKind.CreateModel && f.Kind != RequestKind.Sample, cancellationToken);

    public async Task<IReadOnlyList<string>> ListDoneAsync(IReadOnlyCollection<string> requestIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestIds);
        if (requestIds.Count == 0)
        {
            return [];
        }

        // One array-valued parameter (json_each on SQLite, = ANY on PostgreSQL), so thousands of ids stay one
        // query with one cached plan instead of thousands of bound parameters.
        var ids = requestIds as string[] ?? requestIds.ToArray();
        return await _db.Futures
            .Where(f => EF.Parameter(ids).Contains(f.Id) && (f.Status == FutureStatus.Completed || f.Status == FutureStatus.Failed))
            .Select(f => f.Id)
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<FutureRequest>> ListUnfinishedAsync(IReadOnlyCollection<RequestKind> kinds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var wanted = kinds.ToList();
        return await _db.Futures
            .Where(f => wanted.Contains(f.Kind) && (f.Status == FutureStatus.Pending || f.Status == FutureStatus.Running))
            .OrderBy(f => f.CreatedAt)
            .ToListAsync(cancellationToken);
    }

    public async Task<int> DeleteFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        // Select the ids first: SQLite has no DELETE ... LIMIT through EF, and the batch stays bounded.
        var ids = await _db.Futures.AsNoTracking()
            .Where(f => (f.Status == FutureStatus.Completed || f.Status == FutureStatus.Failed) && f.CompletedAt < before)
            .OrderBy(f => f.CompletedAt)
            .Select(f => f.Id)
            .Take(limit)
            .ToListAsync(cancellationToken);
        return ids.Count == 0 ? 0 : await _db.Futures.Where(f => ids.Contains(f.Id)).ExecuteDeleteAsync(cancellationToken);
    }

    public void Add(FutureRequest request) => _db.Futures.Add(request);
}
