using FluentValidation;

namespace TinkerServer.Application.TrainingRuns.ListTrainingRuns;

public sealed class ListTrainingRunsQueryValidator : AbstractValidator<ListTrainingRunsQuery>
{
    public ListTrainingRunsQueryValidator() =>
        RuleFor(q => q.Offset).GreaterThanOrEqualTo(0).When(q => q.Offset is not null)
            .WithMessage("offset must not be negative.");
}
