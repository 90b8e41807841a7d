using FluentValidation;

namespace TinkerServer.Application.Sessions.CreateSession;

public sealed class CreateSessionCommandValidator : AbstractValidator<CreateSessionCommand>
{
    public CreateSessionCommandValidator()
    {
        RuleFor(c => c.Tags).Must(t => t is null || t.Count <= 100).WithMessage("At most 100 tags.");
        RuleForEach(c => c.Tags).MaximumLength(256);
        RuleFor(c => c.SdkVersion).MaximumLength(64);
        RuleFor(c => c.IdempotencyKey).MaximumLength(255);
    }
}
