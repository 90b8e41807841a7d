using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;

namespace TinkerServer.Application.Checkpoints.ListCheckpoints;

/// <summary>Every visible checkpoint of the caller's runs, newest first, one page at a time.</summary>
/// <param name="Limit">Clamped to 1..<see cref="MaxLimit"/> rather than rejected (the CLI pages with 1000).</param>
public sealed record ListCheckpointsQuery(int? Limit, int? Offset) : IQuery<CheckpointPage>
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public int EffectiveLimit => Math.Clamp(Limit ?? DefaultLimit, 1, MaxLimit);

    public int EffectiveOffset => Math.Max(Offset ?? 0, 0);
}

public sealed record CheckpointPage(IReadOnlyList<CheckpointResult> Checkpoints, int Offset, int Limit, int TotalCount);

public sealed class ListCheckpointsQueryHandler(
    ICheckpointRepository checkpoints,
    ICurrentCaller caller,
    TimeProvider time) : IQueryHandler<ListCheckpointsQuery, CheckpointPage>
{
    public async ValueTask<CheckpointPage> Handle(ListCheckpointsQuery query, CancellationToken cancellationToken)
    {
        var page = await checkpoints.ListVisibleAsync(
            caller.Owner, query.EffectiveOffset, query.EffectiveLimit, time.GetUtcNow(), cancellationToken);
        return new CheckpointPage(
            page.Items.Select(CheckpointResult.From).ToList(), query.EffectiveOffset, query.EffectiveLimit, page.TotalCount);
    }
}
