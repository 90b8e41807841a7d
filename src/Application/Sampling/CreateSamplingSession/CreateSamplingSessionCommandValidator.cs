using FluentValidation;

namespace TinkerServer.Application.Sampling.CreateSamplingSession;

public sealed class CreateSamplingSessionCommandValidator : AbstractValidator<CreateSamplingSessionCommand>
{
    public CreateSamplingSessionCommandValidator()
    {
        RuleFor(c => c.SessionId).NotEmpty().WithMessage("session_id is required.");
        RuleFor(c => c.SamplingSessionSeqId).GreaterThanOrEqualTo(0).WithMessage("sampling_session_seq_id must not be negative.");
        RuleFor(c => c).Must(c => c.BaseModel is not null || c.ModelPath is not null)
            .WithMessage("Give base_model or model_path.");
    }
}
