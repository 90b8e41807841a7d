using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Futures;
using TinkerServer.Infrastructure.Persistence;

namespace TinkerServer.Infrastructure.Engine;

/// <summary>
/// The request queue on the application database. Scheduling rules:
/// <list type="bullet">
/// <item>A run's requests execute one work item at a time (nothing is claimed for a run while one of its
/// requests is running), in seq_id order. Requests without a seq_id (create_model, unload_model, hand-built
/// ones) keep their arrival order relative to the rest.</item>
/// <item>A forward/forward_backward whose seq_id is not the next after the highest finished one of its run is
/// held: the SDK sends the chunks of one call concurrently, the first chunk last. After
/// <see cref="EngineOptions.SeqGapHoldTimeout"/> it runs anyway (a lower seq may have been refused at the API
/// and never stored) and a warning is logged. Other kinds are never held: the SDK sends them only after every
/// lower seq was acknowledged, so their gap cannot fill.</item>
/// <item>A forward/forward_backward head takes along the directly following requests of the same run with
/// consecutive seq ids, the same kind and the same loss_fn/loss_fn_config, up to the batch limit.</item>
/// <item>Samples ignore training order; one sampler's samples run one work item at a time (oldest first,
/// several per item), different samplers independently.</item>
/// <item>Among runnable heads the oldest goes first.</item>
/// </list>
/// Claims are one conditional UPDATE (still pending, and nothing of the run running): of two workers racing
/// for the same requests, one gets all rows, the other none, and a partial claim is released and retried.
/// Planning reads the pending and running requests' keys (no payloads), so it suits queues of thousands,
/// not millions, of waiting requests.
/// </summary>
internal sealed class EfRequestQueue(AppDbContext db, TimeProvider time, IOptions<EngineOptions> options, ILogger<EfRequestQueue> logger)
    : IRequestQueue
{
    private const int ClaimAttempts = 3;

    private readonly AppDbContext _db = db;

    public async Task<IReadOnlyList<FutureRequest>> ClaimNextAsync(string workerId, int maxBatch, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(workerId);
        for (var attempt = 0; attempt < ClaimAttempts; attempt++)
        {
            var plan = await PlanAsync(Math.Max(1, maxBatch), cancellationToken);
            if (plan is null)
            {
                return [];
            }

            if (await TryClaimAsync(plan, workerId, cancellationToken) is { } claimed)
            {
                return claimed;
            }

            // Another worker was faster; plan again from what is now in the database.
            _db.ChangeTracker.Clear();
        }

        return [];
    }

    public Task SaveOutcomeAsync(IReadOnlyList<FutureRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.FirstOrDefault(r => !r.IsDone) is { } unfinished)
        {
            throw new InvalidOperationException($"Request {unfinished.Id} has no outcome yet.");
        }

        return _db.SaveChangesAsync(cancellationToken);
    }

    public Task<int> FailRunningAsync(IReadOnlyCollection<string> requestIds, string error, CancellationToken cancellationToken)
    {
        var ids = requestIds.ToList();
        var now = time.GetUtcNow();
        return _db.Futures
            .Where(f => ids.Contains(f.Id) && f.Status == FutureStatus.Running)
            .ExecuteUpdateAsync(
                s => s.SetProperty(f => f.Status, FutureStatus.Failed)
                    .SetProperty(f => f.Error, error)
                    .SetProperty(f => f.ErrorCategory, FailureCategory.Server)
                    .SetProperty(f => f.CompletedAt, now),
                cancellationToken);
    }

    public Task<int> RequeueAbandonedAsync(CancellationToken cancellationToken) =>
        _db.Futures
            .Where(f => f.Status == FutureStatus.Running)
            .ExecuteUpdateAsync(
                s => s.SetProperty(f => f.Status, FutureStatus.Pending)
                    .SetProperty(f => f.ClaimedBy, (string?)null)
                    .SetProperty(f => f.StartedAt, (DateTimeOffset?)null),
                cancellationToken);

    private async Task<Plan?> PlanAsync(int maxBatch, CancellationToken cancellationToken)
    {
        var open = await _db.Futures
            .AsNoTracking()
            .Where(f => f.Status == FutureStatus.Pending || f.Status == FutureStatus.Running)
            .Select(f => new Summary(f.Id, f.Kind, f.ModelId, f.SamplingSessionId, f.SeqId, f.CreatedAt, f.Status))
            .ToListAsync(cancellationToken);
        var pending = open.Where(s => s.Status == FutureStatus.Pending).ToList();
        if (pending.Count == 0)
        {
            return null;
        }

        var busy = open.Where(s => s.Status == FutureStatus.Running).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var groups = pending.Where(s => !busy.Contains(s.Key)).GroupBy(s => s.Key, StringComparer.Ordinal).ToList();
        var models = groups.Where(g => g.First().IsTraining && g.First().ModelId is not null).Select(g => g.First().ModelId!).ToList();
        var lastFinished = models.Count == 0
            ? []
            : await _db.Futures
                .AsNoTracking()
                .Where(f => models.Contains(f.ModelId!) && f.SeqId != null && f.Kind != RequestKind.Sample &&
                            (f.Status == FutureStatus.Completed || f.Status == FutureStatus.Failed))
                .GroupBy(f => f.ModelId!)
                .Select(g => new { ModelId = g.Key, Seq = g.Max(f => f.SeqId) })
                .ToDictionaryAsync(x => x.ModelId, x => x.Seq, StringComparer.Ordinal, cancellationToken);

        var now = time.GetUtcNow();
        (Summary Head, bool Forced, IGrouping<string, Summary> Group)? best = null;
        foreach (var group in groups)
        {
            var head = group.First().IsTraining
                ? TrainingHead(group, group.First().ModelId is { } model ? lastFinished.GetValueOrDefault(model) : null, now, out var forced)
                : SampleHead(group, out forced);
            if (head is { } h && (best is null || Earlier(h, best.Value.Head)))
            {
                best = (h, forced, group);
            }
        }

        if (best is not { } chosen)
        {
            return null;
        }

        if (chosen.Forced)
        {
            logger.LogWarning(
                "Request {RequestId} (seq {SeqId}) of {ModelId} waited {Timeout} for lower seq ids that never arrived; running it anyway",
                chosen.Head.Id, chosen.Head.SeqId, chosen.Head.ModelId, options.Value.SeqGapHoldTimeout);
        }

        return new Plan(chosen.Head, Followers(chosen.Head, chosen.Group, maxBatch));
    }

    /// <summary>The run's next request, or null while it is held for a missing lower seq_id.</summary>
    private Summary? TrainingHead(IEnumerable<Summary> group, long? lastFinishedSeq, DateTimeOffset now, out bool forced)
    {
        forced = false;
        var list = group.ToList();
        var unsequenced = list.Where(s => s.SeqId is null).OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).FirstOrDefault();
        var sequenced = list.Where(s => s.SeqId is not null).ToList();
        if (unsequenced is not null && (sequenced.Count == 0 || unsequenced.CreatedAt <= sequenced.Min(s => s.CreatedAt)))
        {
            return unsequenced;
        }

        var head = sequenced.OrderBy(s => s.SeqId).ThenBy(s => s.CreatedAt).First();

        // The SDK numbers a model's requests 1, 2, 3, … (create-via-load uses 0).
        var expected = (lastFinishedSeq ?? 0) + 1;
        if (head.SeqId <= expected)
        {
            return head;
        }

        // Only the chunks of one forward/forward_backward call arrive out of order; anything else is sent after
        // every lower seq was acknowledged, so a gap before it was refused at the API and will never fill.
        if (!head.Kind.IsBatchable())
        {
            return head;
        }

        if (now - head.CreatedAt >= options.Value.SeqGapHoldTimeout)
        {
            forced = true;
            return head;
        }

        return null;
    }

    private static Summary? SampleHead(IEnumerable<Summary> group, out bool forced)
    {
        forced = false;
        return group.OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).First();
    }

    private static bool Earlier(Summary a, Summary b) =>
        a.CreatedAt < b.CreatedAt || (a.CreatedAt == b.CreatedAt && string.CompareOrdinal(a.Id, b.Id) < 0);

    /// <summary>Candidates to claim with the head (loss functions are compared once the payloads are loaded).</summary>
    private static List<Summary> Followers(Summary head, IEnumerable<Summary> group, int maxBatch)
    {
        var followers = new List<Summary>();
        if (head.Kind == RequestKind.Sample)
        {
            followers.AddRange(group
                .Where(s => s.Id != head.Id)
                .OrderBy(s => s.CreatedAt)
                .ThenBy(s => s.Id, StringComparer.Ordinal)
                .Take(maxBatch - 1));
        }
        else if (head.Kind.IsBatchable() && head.SeqId is { } seq)
        {
            var bySeq = group.Where(s => s.SeqId is not null).GroupBy(s => s.SeqId!.Value).ToDictionary(g => g.Key, g => g.First());
            while (followers.Count < maxBatch - 1 && bySeq.TryGetValue(++seq, out var next) && next.Kind == head.Kind)
            {
                followers.Add(next);
            }
        }

        return followers;
    }

    private async Task<List<FutureRequest>?> TryClaimAsync(Plan plan, string workerId, CancellationToken cancellationToken)
    {
        var candidateIds = plan.Followers.Select(s => s.Id).Prepend(plan.Head.Id).ToList();
        var loaded = await _db.Futures.Where(f => candidateIds.Contains(f.Id)).ToListAsync(cancellationToken);
        var byId = loaded.ToDictionary(f => f.Id, StringComparer.Ordinal);
        if (!byId.TryGetValue(plan.Head.Id, out var head) || head.Status != FutureStatus.Pending)
        {
            return null;
        }

        var batch = new List<FutureRequest> { head };
        var headBatchKey = head.Kind.IsBatchable() ? BatchKey(head.Payload) : null;
        foreach (var follower in plan.Followers)
        {
            if (!byId.TryGetValue(follower.Id, out var request) || request.Status != FutureStatus.Pending ||
                (headBatchKey is not null && BatchKey(request.Payload) != headBatchKey))
            {
                break;
            }

            batch.Add(request);
        }

        var ids = batch.Select(r => r.Id).ToList();
        var now = time.GetUtcNow();
        var claimed = await ClaimRowsAsync(plan.Head, ids, workerId, now, cancellationToken);
        if (claimed == ids.Count)
        {
            foreach (var request in batch)
            {
                request.Start(workerId, now);
            }

            return batch;
        }

        if (claimed > 0)
        {
            // Only part of the rows were still free (another worker claimed the rest meanwhile): give ours back.
            await _db.Futures
                .Where(f => ids.Contains(f.Id) && f.Status == FutureStatus.Running && f.ClaimedBy == workerId && f.StartedAt == now)
                .ExecuteUpdateAsync(
                    s => s.SetProperty(f => f.Status, FutureStatus.Pending)
                        .SetProperty(f => f.ClaimedBy, (string?)null)
                        .SetProperty(f => f.StartedAt, (DateTimeOffset?)null),
                    cancellationToken);
        }

        return null;
    }

    /// <summary>One UPDATE: the rows must still be pending and nothing of the same run (or sampler) may be running.</summary>
    private Task<int> ClaimRowsAsync(Summary head, List<string> ids, string workerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = _db.Futures.Where(f => ids.Contains(f.Id) && f.Status == FutureStatus.Pending);
        if (head.Kind == RequestKind.Sample)
        {
            var sampler = head.SamplingSessionId;
            rows = rows.Where(_ => !_db.Futures.Any(o =>
                o.Kind == RequestKind.Sample && o.SamplingSessionId == sampler && o.Status == FutureStatus.Running));
        }
        else if (head.ModelId is { } model)
        {
            rows = rows.Where(_ => !_db.Futures.Any(o =>
                o.Kind != RequestKind.Sample && o.ModelId == model && o.Status == FutureStatus.Running));
        }

        return rows.ExecuteUpdateAsync(
            s => s.SetProperty(f => f.Status, FutureStatus.Running)
                .SetProperty(f => f.ClaimedBy, workerId)
                .SetProperty(f => f.StartedAt, now),
            cancellationToken);
    }

    /// <summary>loss_fn and loss_fn_config of a forward/forward_backward payload, independent of key order.</summary>
    internal static string BatchKey(string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var batch = doc.RootElement.GetProperty("batch");
        var lossFn = batch.TryGetProperty("loss_fn", out var fn) ? fn.GetString() : null;
        var config = batch.TryGetProperty("loss_fn_config", out var cfg) && cfg.ValueKind == JsonValueKind.Object
            ? cfg.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}={p.Value.GetRawText()}")
            : [];
        return $"{lossFn}|{string.Join(",", config)}";
    }

    private sealed record Summary(
        string Id, RequestKind Kind, string? ModelId, string? SamplingSessionId, long? SeqId, DateTimeOffset CreatedAt, FutureStatus Status)
    {
        public bool IsTraining => Kind != RequestKind.Sample;

        /// <summary>What serialises execution: the run for training requests, the sampler for samples.</summary>
        public string Key => IsTraining
            ? "model:" + (ModelId ?? "request:" + Id)
            : "sampler:" + (SamplingSessionId ?? "request:" + Id);
    }

    private sealed record Plan(Summary Head, List<Summary> Followers);
}
