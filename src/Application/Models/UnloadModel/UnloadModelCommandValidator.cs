using FluentValidation;

namespace TinkerServer.Application.Models.UnloadModel;

public sealed class UnloadModelCommandValidator : AbstractValidator<UnloadModelCommand>
{
    public UnloadModelCommandValidator() => RuleFor(c => c.ModelId).NotEmpty().WithMessage("model_id is required.");
}
