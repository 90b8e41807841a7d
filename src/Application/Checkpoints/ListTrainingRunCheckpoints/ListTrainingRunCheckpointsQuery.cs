using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Checkpoints.ListTrainingRunCheckpoints;

/// <summary>The completed, unexpired checkpoints of one run, newest first.</summary>
public sealed record ListTrainingRunCheckpointsQuery(string TrainingRunId) : IQuery<IReadOnlyList<CheckpointResult>>;

public sealed class ListTrainingRunCheckpointsQueryHandler(
    ITrainingRunRepository runs,
    ICheckpointRepository checkpoints,
    ICurrentCaller caller,
    TimeProvider time) : IQueryHandler<ListTrainingRunCheckpointsQuery, IReadOnlyList<CheckpointResult>>
{
    public async ValueTask<IReadOnlyList<CheckpointResult>> Handle(ListTrainingRunCheckpointsQuery query, CancellationToken cancellationToken)
    {
        var runId = TrainingRunId.Parse(query.TrainingRunId);
        var run = await runs.FindAsync(runId, cancellationToken);
        if (run is null || run.Owner != caller.Owner)
        {
            throw new NotFoundException($"Training run '{runId}' not found.");
        }

        var list = await checkpoints.ListVisibleByRunAsync(runId, time.GetUtcNow(), cancellationToken);
        return list.Select(CheckpointResult.From).ToList();
    }
}
