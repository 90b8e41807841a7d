using Mediator;
using Microsoft.Extensions.Logging;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Checkpoints.DeleteCheckpoint;

/// <param name="CheckpointId">The route tail: "weights/NAME", "sampler_weights/NAME" or a bare "NAME".</param>
/// <param name="CheckpointType">"training" or "sampler"; required with a bare name.</param>
/// <param name="IdempotencyKey">X-Idempotency-Key: a retry of a delete that succeeded is answered as a success again.</param>
public sealed record DeleteCheckpointCommand(
    string TrainingRunId,
    string CheckpointId,
    string? CheckpointType,
    string? IdempotencyKey) : ICommand
{
    /// <summary>How long a successful delete is remembered for retries carrying the same idempotency key.</summary>
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Removes the row first and commits, then the artifact: a failure after the commit leaves an orphan
/// file (garbage), never a listed checkpoint whose archive is gone.
/// </summary>
public sealed partial class DeleteCheckpointCommandHandler(
    ICheckpointRepository checkpoints,
    ITrainingRunRepository runs,
    IUnitOfWork unitOfWork,
    IArtifactStorage storage,
    ICurrentCaller caller,
    TimeProvider time,
    ILogger<DeleteCheckpointCommandHandler> logger) : ICommandHandler<DeleteCheckpointCommand>
{
    public async ValueTask<Unit> Handle(DeleteCheckpointCommand command, CancellationToken cancellationToken)
    {
        var runId = TrainingRunId.Parse(command.TrainingRunId);
        var type = command.CheckpointType is null ? (CheckpointType?)null : CheckpointTypes.ParseWireName(command.CheckpointType);
        var path = CheckpointPath.FromRoute(runId, command.CheckpointId, type);
        var now = time.GetUtcNow();

        var run = await runs.FindAsync(runId, cancellationToken);
        var checkpoint = run is null || run.Owner != caller.Owner ? null : await checkpoints.FindAsync(path, cancellationToken);
        if (checkpoint is null)
        {
            if (run is not null && command.IdempotencyKey is { Length: > 0 } key &&
                await checkpoints.HasTombstoneAsync(path, key, now - DeleteCheckpointCommand.ReplayWindow, cancellationToken))
            {
                return Unit.Value;
            }

            throw new NotFoundException($"Checkpoint {path} not found.");
        }

        checkpoint.EnsureDeletable();
        checkpoints.Remove(checkpoint);
        if (command.IdempotencyKey is { Length: > 0 } idempotencyKey)
        {
            checkpoints.AddTombstone(new CheckpointTombstone(path, idempotencyKey, now));
        }

        try
        {
            await unitOfWork.SaveChangesAsync(cancellationToken);
        }
        catch (ConcurrencyConflictException)
        {
            // Another delete removed the row between our read and our commit: to this caller it is gone.
            throw new NotFoundException($"Checkpoint {path} not found.");
        }

        try
        {
            // The row is gone for good; finishing the file removal must not depend on the client waiting.
            await storage.DeleteAsync(path, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogOrphanedArtifact(logger, ex, path.TinkerPath);
        }

        return Unit.Value;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint {TinkerPath} was deleted but its artifact could not be removed; it is now an orphan for garbage collection")]
    private static partial void LogOrphanedArtifact(ILogger logger, Exception exception, string tinkerPath);
}
