using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Checkpoints;

/// <summary>Finds a checkpoint the caller may read: their own, or a public one; completed and unexpired.</summary>
public sealed class CheckpointReadAccess(
    ITrainingRunRepository runs,
    ICheckpointRepository checkpoints,
    ICurrentCaller caller,
    TimeProvider time)
{
    /// <param name="anyCaller">True when the caller was authorised otherwise (a signed download URL).</param>
    public async Task<ReadableCheckpoint> GetReadableAsync(CheckpointPath path, bool anyCaller, CancellationToken cancellationToken)
    {
        var run = await runs.FindAsync(path.TrainingRunId, cancellationToken);
        var checkpoint = run is null ? null : await checkpoints.FindAsync(path, cancellationToken);
        if (run is null || checkpoint is null || checkpoint.IsExpired(time.GetUtcNow()) ||
            (!anyCaller && run.Owner != caller.Owner && !checkpoint.IsPublic))
        {
            throw new NotFoundException($"Checkpoint {path} not found.");
        }

        checkpoint.EnsureReadable();
        return new ReadableCheckpoint(run, checkpoint);
    }
}

/// <summary>A completed checkpoint and the run that made it (its base model and LoRA settings).</summary>
public sealed record ReadableCheckpoint(TrainingRun Run, Checkpoint Checkpoint);
