using Mediator;
using TinkerServer.Application.Abstractions.Persistence;

namespace TinkerServer.Application.Checkpoints.PublishCheckpoint;

/// <summary>
/// Makes a checkpoint public (readable by every caller through weights_info, load and sampling) or private
/// again. Idempotent: "already public" is a success, since a 409 would be retried by the SDK for minutes.
/// </summary>
public sealed record PublishCheckpointCommand(string TrainingRunId, string CheckpointId, bool Public) : ICommand;

public sealed class PublishCheckpointCommandHandler(OwnedCheckpointAccess access, IUnitOfWork unitOfWork)
    : ICommandHandler<PublishCheckpointCommand>
{
    public async ValueTask<Mediator.Unit> Handle(PublishCheckpointCommand command, CancellationToken cancellationToken)
    {
        var checkpoint = await access.GetCompletedAsync(command.TrainingRunId, command.CheckpointId, cancellationToken);
        if (command.Public)
        {
            checkpoint.Publish();
        }
        else
        {
            checkpoint.Unpublish();
        }

        await unitOfWork.SaveChangesAsync(cancellationToken);
        return Mediator.Unit.Value;
    }
}
