using FluentValidation;

namespace TinkerServer.Application.TrainingRuns.GetWeightsInfo;

public sealed class GetWeightsInfoQueryValidator : AbstractValidator<GetWeightsInfoQuery>
{
    public GetWeightsInfoQueryValidator() =>
        RuleFor(q => q.TinkerPath).NotEmpty().WithMessage("tinker_path is required.");
}
