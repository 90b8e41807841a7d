using FluentValidation;
using TinkerServer.Domain.Common;

namespace TinkerServer.Application.Sampling.GetSampler;

public sealed class GetSamplerQueryValidator : AbstractValidator<GetSamplerQuery>
{
    public GetSamplerQueryValidator() =>
        RuleFor(q => q.SamplerId).Must(id => Identifier.IsValidScopedId(id))
            .WithMessage($"Invalid sampler id: expected 1-{Identifier.MaxLength} characters of [A-Za-z0-9_:-].");
}
