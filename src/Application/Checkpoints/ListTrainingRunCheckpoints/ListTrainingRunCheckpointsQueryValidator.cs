using FluentValidation;

namespace TinkerServer.Application.Checkpoints.ListTrainingRunCheckpoints;

public sealed class ListTrainingRunCheckpointsQueryValidator : AbstractValidator<ListTrainingRunCheckpointsQuery>
{
    public ListTrainingRunCheckpointsQueryValidator() =>
        RuleFor(q => q.TrainingRunId).NotEmpty();
}
