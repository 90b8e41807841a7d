using FluentValidation;

namespace TinkerServer.Application.Sampling.Sample;

public sealed class SampleCommandValidator : AbstractValidator<SampleCommand>
{
    public const int MaxSamples = 128;
    public const int MaxTopK = 100;

    public SampleCommandValidator()
    {
        RuleFor(c => c.SamplingSessionId).NotEmpty()
            .WithMessage("sampling_session_id is required: create a sampling session (create_sampling_session) for the base model or checkpoint first.");
        RuleFor(c => c.SeqId).GreaterThanOrEqualTo(0).When(c => c.SeqId is not null).WithMessage("seq_id must not be negative.");
        RuleFor(c => c.Input.Prompt.Length).GreaterThan(0).WithMessage("prompt must hold at least one token.");
        RuleFor(c => c.Input.NumSamples).InclusiveBetween(1, MaxSamples).WithMessage($"num_samples must be between 1 and {MaxSamples}.");
        RuleFor(c => c.Input.TopkPromptLogprobs).InclusiveBetween(0, MaxTopK)
            .WithMessage($"topk_prompt_logprobs must be between 0 and {MaxTopK}.");
        RuleFor(c => c.Input.Params.MaxTokens).GreaterThan(0).When(c => c.Input.Params.MaxTokens is not null)
            .WithMessage("sampling_params.max_tokens must be positive.");
        RuleFor(c => c.Input.Params.Temperature).Must(t => double.IsFinite(t) && t >= 0)
            .WithMessage("sampling_params.temperature must be a finite number >= 0.");
        RuleFor(c => c.Input.Params.TopP).Must(p => p is > 0 and <= 1).WithMessage("sampling_params.top_p must be in (0, 1].");
        RuleFor(c => c.Input.Params.TopK).Must(k => k == -1 || k > 0).WithMessage("sampling_params.top_k must be -1 (off) or positive.");
    }
}
