using Mediator;
using TinkerServer.Application.Abstractions.Persistence;

namespace TinkerServer.Application.Checkpoints.SetCheckpointTtl;

/// <summary>Sets a checkpoint's lifetime from now; null keeps it forever. Expired checkpoints vanish from listings at once.</summary>
public sealed record SetCheckpointTtlCommand(string TrainingRunId, string CheckpointId, long? TtlSeconds) : ICommand;

public sealed class SetCheckpointTtlCommandHandler(OwnedCheckpointAccess access, IUnitOfWork unitOfWork, TimeProvider time)
    : ICommandHandler<SetCheckpointTtlCommand>
{
    public async ValueTask<Mediator.Unit> Handle(SetCheckpointTtlCommand command, CancellationToken cancellationToken)
    {
        var checkpoint = await access.GetCompletedAsync(command.TrainingRunId, command.CheckpointId, cancellationToken);
        checkpoint.SetTtl(command.TtlSeconds, time.GetUtcNow());
        await unitOfWork.SaveChangesAsync(cancellationToken);
        return Mediator.Unit.Value;
    }
}
