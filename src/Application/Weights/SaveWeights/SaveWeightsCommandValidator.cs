using FluentValidation;

namespace TinkerServer.Application.Weights.SaveWeights;

public sealed class SaveWeightsCommandValidator : AbstractValidator<SaveWeightsCommand>
{
    public SaveWeightsCommandValidator()
    {
        RuleFor(c => c.ModelId).NotEmpty().WithMessage("model_id is required.");
        RuleFor(c => c.Name).NotEmpty().WithMessage("path (the checkpoint name) is required.");
        RuleFor(c => c.TtlSeconds).GreaterThan(0).When(c => c.TtlSeconds is not null).WithMessage("ttl_seconds must be positive.");
        RuleFor(c => c.SeqId).GreaterThanOrEqualTo(0).When(c => c.SeqId is not null).WithMessage("seq_id must not be negative.");
    }
}
