using FluentValidation;

namespace TinkerServer.Application.Models.GetModelInfo;

public sealed class GetModelInfoQueryValidator : AbstractValidator<GetModelInfoQuery>
{
    public GetModelInfoQueryValidator() => RuleFor(q => q.ModelId).NotEmpty().WithMessage("model_id is required.");
}
