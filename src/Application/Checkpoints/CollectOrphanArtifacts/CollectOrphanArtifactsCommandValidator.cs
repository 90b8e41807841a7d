using FluentValidation;

namespace TinkerServer.Application.Checkpoints.CollectOrphanArtifacts;

public sealed class CollectOrphanArtifactsCommandValidator : AbstractValidator<CollectOrphanArtifactsCommand>
{
    public CollectOrphanArtifactsCommandValidator() => RuleFor(c => c.BatchSize).InclusiveBetween(1, 10_000);
}
