using FluentValidation;

namespace TinkerServer.Application.Weights.SaveWeightsForSampler;

public sealed class SaveWeightsForSamplerCommandValidator : AbstractValidator<SaveWeightsForSamplerCommand>
{
    public SaveWeightsForSamplerCommandValidator()
    {
        RuleFor(c => c.ModelId).NotEmpty().WithMessage("model_id is required.");
        RuleFor(c => c).Must(c => c.Name is not null || c.SamplingSessionSeqId is not null)
            .WithMessage("Give either path (a persistent sampler checkpoint name) or sampling_session_seq_id (ephemeral weights).");
        RuleFor(c => c.SamplingSessionSeqId).GreaterThanOrEqualTo(0).When(c => c.SamplingSessionSeqId is not null)
            .WithMessage("sampling_session_seq_id must not be negative.");
        RuleFor(c => c.TtlSeconds).GreaterThan(0).When(c => c.TtlSeconds is not null).WithMessage("ttl_seconds must be positive.");
        RuleFor(c => c.SeqId).GreaterThanOrEqualTo(0).When(c => c.SeqId is not null).WithMessage("seq_id must not be negative.");
    }
}
