using FluentValidation;

namespace TinkerServer.Application.Futures.PurgeFinishedFutures;

public sealed class PurgeFinishedFuturesCommandValidator : AbstractValidator<PurgeFinishedFuturesCommand>
{
    public PurgeFinishedFuturesCommandValidator() => RuleFor(c => c.BatchSize).InclusiveBetween(1, 100_000);
}
