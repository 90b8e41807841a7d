using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Common;

/// <summary>Finds the caller's training run for a request and records the request time on it.</summary>
public sealed class RunAccess(ITrainingRunRepository runs, ICurrentCaller caller, TimeProvider time)
{
    /// <summary>The run, tracked so the request time commits with whatever the handler saves next.</summary>
    public async Task<TrainingRun> GetForRequestAsync(string? modelId, CancellationToken cancellationToken)
    {
        var id = TrainingRunId.Parse(modelId);
        var run = await runs.FindAsync(id, cancellationToken);
        if (run is null || run.Owner != caller.Owner)
        {
            throw new NotFoundException($"Model '{id}' not found.");
        }

        if (run.Status == TrainingRunStatus.Unloaded)
        {
            throw new DomainRuleViolationException($"Model '{id}' has been unloaded; create a new training client (its checkpoints are kept).");
        }

        run.RecordRequest(time.GetUtcNow());
        return run;
    }
}
