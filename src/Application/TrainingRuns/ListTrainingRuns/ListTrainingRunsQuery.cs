using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;

namespace TinkerServer.Application.TrainingRuns.ListTrainingRuns;

/// <summary>The caller's runs, most recently used first.</summary>
public sealed record ListTrainingRunsQuery(int? Limit, int? Offset) : IQuery<TrainingRunPage>
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;

    public int EffectiveLimit => Math.Clamp(Limit ?? DefaultLimit, 1, MaxLimit);

    public int EffectiveOffset => Math.Max(Offset ?? 0, 0);
}

public sealed record TrainingRunPage(IReadOnlyList<TrainingRunResult> TrainingRuns, int Offset, int Limit, int TotalCount);

public sealed class ListTrainingRunsQueryHandler(
    ITrainingRunRepository runs,
    ICheckpointRepository checkpoints,
    ICurrentCaller caller,
    TimeProvider time) : IQueryHandler<ListTrainingRunsQuery, TrainingRunPage>
{
    public async ValueTask<TrainingRunPage> Handle(ListTrainingRunsQuery query, CancellationToken cancellationToken)
    {
        var page = await runs.ListAsync(caller.Owner, query.EffectiveOffset, query.EffectiveLimit, cancellationToken);
        var latest = await checkpoints.ListLatestVisibleAsync(
            page.Items.Select(r => r.Id).ToList(), time.GetUtcNow(), cancellationToken);
        return new TrainingRunPage(
            page.Items.Select(r => TrainingRunResult.From(r, latest)).ToList(),
            query.EffectiveOffset,
            query.EffectiveLimit,
            page.TotalCount);
    }
}
