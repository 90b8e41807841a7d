using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Checkpoints;

/// <summary>Finds a checkpoint of one of the caller's own runs, tracked for a change (publish, TTL).</summary>
public sealed class OwnedCheckpointAccess(ITrainingRunRepository runs, ICheckpointRepository checkpoints, ICurrentCaller caller)
{
    /// <param name="checkpointId">"weights/NAME" or "sampler_weights/NAME".</param>
    public async Task<Checkpoint> GetCompletedAsync(string trainingRunId, string checkpointId, CancellationToken cancellationToken)
    {
        var path = CheckpointPath.FromRoute(TrainingRunId.Parse(trainingRunId), checkpointId, null);
        var run = await runs.FindAsync(path.TrainingRunId, cancellationToken);
        var checkpoint = run is null || run.Owner != caller.Owner ? null : await checkpoints.FindAsync(path, cancellationToken);
        if (checkpoint is null)
        {
            throw new NotFoundException($"Checkpoint {path} not found.");
        }

        checkpoint.EnsureReadable();
        return checkpoint;
    }
}
