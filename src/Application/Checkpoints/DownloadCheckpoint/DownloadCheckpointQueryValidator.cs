using FluentValidation;

namespace TinkerServer.Application.Checkpoints.DownloadCheckpoint;

public sealed class DownloadCheckpointQueryValidator : AbstractValidator<DownloadCheckpointQuery>
{
    public DownloadCheckpointQueryValidator()
    {
        RuleFor(q => q.TrainingRunId).NotEmpty();
        RuleFor(q => q.Kind).NotEmpty();
        RuleFor(q => q.Name).NotEmpty();
        RuleFor(q => q.Signature).MaximumLength(512);
    }
}
