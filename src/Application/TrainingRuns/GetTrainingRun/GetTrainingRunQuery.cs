using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.TrainingRuns.GetTrainingRun;

public sealed record GetTrainingRunQuery(string TrainingRunId) : IQuery<TrainingRunResult>;

public sealed class GetTrainingRunQueryHandler(
    ITrainingRunRepository runs,
    ICheckpointRepository checkpoints,
    ICurrentCaller caller,
    TimeProvider time) : IQueryHandler<GetTrainingRunQuery, TrainingRunResult>
{
    public async ValueTask<TrainingRunResult> Handle(GetTrainingRunQuery query, CancellationToken cancellationToken)
    {
        var runId = TrainingRunId.Parse(query.TrainingRunId);
        var run = await runs.FindAsync(runId, cancellationToken);
        if (run is null || run.Owner != caller.Owner)
        {
            throw new NotFoundException($"Training run '{runId}' not found.");
        }

        var latest = await checkpoints.ListLatestVisibleAsync([runId], time.GetUtcNow(), cancellationToken);
        return TrainingRunResult.From(run, latest);
    }
}
