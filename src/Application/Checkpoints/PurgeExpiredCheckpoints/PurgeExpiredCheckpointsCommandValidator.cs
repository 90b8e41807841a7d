using FluentValidation;

namespace TinkerServer.Application.Checkpoints.PurgeExpiredCheckpoints;

public sealed class PurgeExpiredCheckpointsCommandValidator : AbstractValidator<PurgeExpiredCheckpointsCommand>
{
    public PurgeExpiredCheckpointsCommandValidator() => RuleFor(c => c.BatchSize).InclusiveBetween(1, 10_000);
}
