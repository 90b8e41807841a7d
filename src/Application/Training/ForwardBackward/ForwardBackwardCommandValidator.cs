using FluentValidation;
using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Application.Training.ForwardBackward;

/// <summary>Shape checks that need no model: supported loss, known config keys, inputs aligned with tokens.</summary>
public sealed class ForwardBackwardCommandValidator : AbstractValidator<ForwardBackwardCommand>
{
    public const int MaxDatums = 4096;

    public ForwardBackwardCommandValidator()
    {
        RuleFor(c => c.ModelId).NotEmpty().WithMessage("model_id is required.");
        RuleFor(c => c.SeqId).GreaterThanOrEqualTo(0).When(c => c.SeqId is not null).WithMessage("seq_id must not be negative.");
        RuleFor(c => c.Batch.LossFn)
            .Must(LossFunctions.Supported.Contains)
            .WithMessage(c => $"Unsupported loss_fn '{c.Batch.LossFn}'; supported: {string.Join(", ", LossFunctions.Supported.Order())}.");
        RuleFor(c => c.Batch)
            .Must(b => b.LossFnConfig.Keys.All(LossFunctions.ConfigKeys(b.LossFn).Contains))
            .When(c => LossFunctions.Supported.Contains(c.Batch.LossFn))
            .WithMessage(c => $"loss_fn_config keys {string.Join(", ", c.Batch.LossFnConfig.Keys.Order())} are not all accepted by '{c.Batch.LossFn}'" +
                $" (accepted: {string.Join(", ", LossFunctions.ConfigKeys(c.Batch.LossFn).Order())}).");
        RuleFor(c => c.Batch.LossFnConfig.Values)
            .Must(values => values.All(double.IsFinite)).WithMessage("loss_fn_config values must be finite numbers.");
        RuleFor(c => c.Batch.Data.Count)
            .InclusiveBetween(1, MaxDatums).WithMessage($"data must hold between 1 and {MaxDatums} datums.");
        RuleForEach(c => c.Batch.Data).Custom((datum, context) =>
        {
            if (datum.ModelInput.Length == 0)
            {
                context.AddFailure("Every datum needs a non-empty model_input.");
                return;
            }

            if (!datum.LossFnInputs.ContainsKey("target_tokens"))
            {
                context.AddFailure("Every datum needs loss_fn_inputs.target_tokens.");
            }

            // Per-token inputs are aligned with the tokens along their first dimension (2-D inputs carry K per token).
            foreach (var (name, tensor) in datum.LossFnInputs)
            {
                var perToken = tensor.Shape.Length == 0 ? tensor.Length : tensor.Shape[0];
                if (perToken != datum.ModelInput.Length)
                {
                    context.AddFailure(
                        $"loss_fn_inputs.{name} has {perToken} entries along its first dimension but model_input has {datum.ModelInput.Length} tokens.");
                }
            }
        });
    }
}
