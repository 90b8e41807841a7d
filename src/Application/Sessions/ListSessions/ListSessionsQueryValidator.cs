using FluentValidation;

namespace TinkerServer.Application.Sessions.ListSessions;

public sealed class ListSessionsQueryValidator : AbstractValidator<ListSessionsQuery>
{
    public ListSessionsQueryValidator() =>
        RuleFor(q => q.Offset).GreaterThanOrEqualTo(0).When(q => q.Offset is not null).WithMessage("offset must not be negative.");
}
