using FluentValidation;

namespace TinkerServer.Application.TrainingRuns.GetTrainingRun;

public sealed class GetTrainingRunQueryValidator : AbstractValidator<GetTrainingRunQuery>
{
    public GetTrainingRunQueryValidator() => RuleFor(q => q.TrainingRunId).NotEmpty();
}
