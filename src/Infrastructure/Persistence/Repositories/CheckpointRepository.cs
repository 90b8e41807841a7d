using Microsoft.EntityFrameworkCore;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Persistence.Repositories;

internal sealed class CheckpointRepository(AppDbContext db) : ICheckpointRepository
{
    private readonly AppDbContext _db = db;

    public Task<Checkpoint?> FindAsync(CheckpointPath path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (runId, type, name) = (path.TrainingRunId, path.Type, path.Name);
        return _db.Checkpoints.FirstOrDefaultAsync(
            c => c.TrainingRunId == runId && c.Type == type && c.Name == name, cancellationToken);
    }

    public async Task<IReadOnlyList<Checkpoint>> ListVisibleByRunAsync(TrainingRunId runId, DateTimeOffset now, CancellationToken cancellationToken) =>
        await NewestFirst(Visible(now).Where(c => c.TrainingRunId == runId)).ToListAsync(cancellationToken);

    public async Task<Page<Checkpoint>> ListVisibleAsync(string owner, int offset, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var query =
            from checkpoint in Visible(now)
            join run in _db.TrainingRuns on checkpoint.TrainingRunId equals run.Id
            where run.Owner == owner
            select checkpoint;

        var total = await query.CountAsync(cancellationToken);
        if (limit <= 0 || offset >= total)
        {
            return new Page<Checkpoint>([], total);
        }

        var items = await NewestFirst(query).Skip(Math.Max(0, offset)).Take(limit).ToListAsync(cancellationToken);
        return new Page<Checkpoint>(items, total);
    }

    public async Task<IReadOnlyList<Checkpoint>> ListLatestVisibleAsync(IReadOnlyCollection<TrainingRunId> runIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        if (runIds.Count == 0)
        {
            return [];
        }

        var ids = runIds.Distinct().ToList();
        return await Visible(now)
            .Where(c => ids.Contains(c.TrainingRunId))
            .GroupBy(c => new { c.TrainingRunId, c.Type })
            .Select(g => g
                .OrderByDescending(c => c.CompletedAt)
                .ThenByDescending(c => c.CreatedAt)
                .ThenBy(c => c.Name)
                .First())
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Checkpoint>> ListPendingAsync(CancellationToken cancellationToken) =>
        await _db.Checkpoints
            .Where(c => c.Status == CheckpointStatus.Pending)
            .OrderBy(c => c.CreatedAt)
            .ThenBy(c => c.TrainingRunId)
            .ThenBy(c => c.Name)
            .ToListAsync(cancellationToken);

    public async Task<IReadOnlySet<CheckpointPath>> FindExistingAsync(IReadOnlyCollection<CheckpointPath> paths, CancellationToken cancellationToken)
    {
        // One query per run: a composite-key IN list does not translate, and paths come grouped by run anyway.
        var existing = new HashSet<CheckpointPath>();
        foreach (var run in paths.GroupBy(p => p.TrainingRunId))
        {
            var names = run.Select(p => p.Name).Distinct().ToList();
            var rows = await _db.Checkpoints.AsNoTracking()
                .Where(c => c.TrainingRunId == run.Key && names.Contains(c.Name))
                .Select(c => new { c.Type, c.Name })
                .ToListAsync(cancellationToken);
            existing.UnionWith(rows.Select(r => new CheckpointPath(run.Key, r.Type, r.Name)));
        }

        return existing;
    }

    public async Task<IReadOnlyList<Checkpoint>> ListExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        return await _db.Checkpoints
            .Where(c => c.Status == CheckpointStatus.Completed && c.ExpiresAt != null && c.ExpiresAt <= now)
            .OrderBy(c => c.ExpiresAt)
            .ThenBy(c => c.TrainingRunId)
            .ThenBy(c => c.Name)
            .Take(limit)
            .ToListAsync(cancellationToken);
    }

    public void Add(Checkpoint checkpoint) => _db.Checkpoints.Add(checkpoint);

    public void Remove(Checkpoint checkpoint) => _db.Checkpoints.Remove(checkpoint);

    public void AddTombstone(CheckpointTombstone tombstone)
    {
        ArgumentNullException.ThrowIfNull(tombstone);
        _db.CheckpointTombstones.Add(new CheckpointTombstoneRow
        {
            TrainingRunId = tombstone.Path.TrainingRunId,
            Type = tombstone.Path.Type,
            Name = tombstone.Path.Name,
            IdempotencyKey = tombstone.IdempotencyKey,
            DeletedAt = tombstone.DeletedAt,
        });
    }

    public Task<int> DeleteTombstonesBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        _db.CheckpointTombstones.Where(t => t.DeletedAt < before).ExecuteDeleteAsync(cancellationToken);

    public Task<bool> HasTombstoneAsync(CheckpointPath path, string idempotencyKey, DateTimeOffset since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (runId, type, name) = (path.TrainingRunId, path.Type, path.Name);
        return _db.CheckpointTombstones.AnyAsync(
            t => t.TrainingRunId == runId && t.Type == type && t.Name == name
                && t.IdempotencyKey == idempotencyKey && t.DeletedAt > since,
            cancellationToken);
    }

    private IQueryable<Checkpoint> Visible(DateTimeOffset now) =>
        _db.Checkpoints.Where(c => c.Status == CheckpointStatus.Completed && (c.ExpiresAt == null || c.ExpiresAt > now));

    // Completion time first; creation time and then the path keep equal timestamps in a stable order.
    private static IOrderedQueryable<Checkpoint> NewestFirst(IQueryable<Checkpoint> query) =>
        query.OrderByDescending(c => c.CompletedAt)
            .ThenByDescending(c => c.CreatedAt)
            .ThenBy(c => c.TrainingRunId)
            .ThenBy(c => c.Name)
            .ThenBy(c => c.Type);
}
