using FluentValidation;

namespace TinkerServer.Application.Weights.LoadWeights;

public sealed class LoadWeightsCommandValidator : AbstractValidator<LoadWeightsCommand>
{
    public LoadWeightsCommandValidator()
    {
        RuleFor(c => c.ModelId).NotEmpty().WithMessage("model_id is required.");
        RuleFor(c => c.Path).NotEmpty().WithMessage("path is required.");
        RuleFor(c => c.SeqId).GreaterThanOrEqualTo(0).When(c => c.SeqId is not null).WithMessage("seq_id must not be negative.");
    }
}
