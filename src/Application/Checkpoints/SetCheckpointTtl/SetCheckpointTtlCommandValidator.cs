using FluentValidation;

namespace TinkerServer.Application.Checkpoints.SetCheckpointTtl;

public sealed class SetCheckpointTtlCommandValidator : AbstractValidator<SetCheckpointTtlCommand>
{
    public SetCheckpointTtlCommandValidator()
    {
        RuleFor(c => c.TrainingRunId).NotEmpty();
        RuleFor(c => c.CheckpointId).NotEmpty();
    }
}
