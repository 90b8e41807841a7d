using FluentValidation;

namespace TinkerServer.Application.Training.OptimStep;

public sealed class OptimStepCommandValidator : AbstractValidator<OptimStepCommand>
{
    public OptimStepCommandValidator()
    {
        RuleFor(c => c.ModelId).NotEmpty().WithMessage("model_id is required.");
        RuleFor(c => c.SeqId).GreaterThanOrEqualTo(0).When(c => c.SeqId is not null).WithMessage("seq_id must not be negative.");
        RuleFor(c => c.AdamParams.LearningRate).Must(v => double.IsFinite(v) && v >= 0)
            .WithMessage("adam_params.learning_rate must be a finite number >= 0.");
        RuleFor(c => c.AdamParams.Beta1).Must(v => v is >= 0 and < 1).WithMessage("adam_params.beta1 must be in [0, 1).");
        RuleFor(c => c.AdamParams.Beta2).Must(v => v is >= 0 and < 1).WithMessage("adam_params.beta2 must be in [0, 1).");
        RuleFor(c => c.AdamParams.Eps).Must(v => double.IsFinite(v) && v > 0).WithMessage("adam_params.eps must be a finite number > 0.");
        RuleFor(c => c.AdamParams.WeightDecay).Must(v => double.IsFinite(v) && v >= 0)
            .WithMessage("adam_params.weight_decay must be a finite number >= 0.");
        RuleFor(c => c.AdamParams.GradClipNorm).Must(v => double.IsFinite(v) && v >= 0)
            .WithMessage("adam_params.grad_clip_norm must be a finite number >= 0 (0 = off).");
    }
}
