using FluentValidation;

namespace TinkerServer.Application.Checkpoints.GetCheckpointArchiveUrl;

public sealed class GetCheckpointArchiveUrlQueryValidator : AbstractValidator<GetCheckpointArchiveUrlQuery>
{
    public GetCheckpointArchiveUrlQueryValidator()
    {
        RuleFor(q => q.TrainingRunId).NotEmpty();
        RuleFor(q => q.CheckpointId).NotEmpty();
    }
}
