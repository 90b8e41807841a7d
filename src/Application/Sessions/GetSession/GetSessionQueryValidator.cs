using FluentValidation;

namespace TinkerServer.Application.Sessions.GetSession;

public sealed class GetSessionQueryValidator : AbstractValidator<GetSessionQuery>
{
    public GetSessionQueryValidator() => RuleFor(q => q.SessionId).NotEmpty();
}
