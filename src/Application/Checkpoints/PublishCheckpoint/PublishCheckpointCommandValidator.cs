using FluentValidation;

namespace TinkerServer.Application.Checkpoints.PublishCheckpoint;

public sealed class PublishCheckpointCommandValidator : AbstractValidator<PublishCheckpointCommand>
{
    public PublishCheckpointCommandValidator()
    {
        RuleFor(c => c.TrainingRunId).NotEmpty();
        RuleFor(c => c.CheckpointId).NotEmpty();
    }
}
