using FluentValidation;

namespace TinkerServer.Application.Checkpoints.DeleteCheckpoint;

public sealed class DeleteCheckpointCommandValidator : AbstractValidator<DeleteCheckpointCommand>
{
    public DeleteCheckpointCommandValidator()
    {
        RuleFor(c => c.TrainingRunId).NotEmpty();
        RuleFor(c => c.CheckpointId).NotEmpty();
        RuleFor(c => c.IdempotencyKey).MaximumLength(255);
    }
}
