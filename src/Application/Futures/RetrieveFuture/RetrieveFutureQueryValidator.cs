using FluentValidation;

namespace TinkerServer.Application.Futures.RetrieveFuture;

public sealed class RetrieveFutureQueryValidator : AbstractValidator<RetrieveFutureQuery>
{
    public RetrieveFutureQueryValidator() =>
        RuleFor(q => q.RequestId).NotEmpty().MaximumLength(255);
}
