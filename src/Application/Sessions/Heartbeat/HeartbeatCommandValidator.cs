using FluentValidation;

namespace TinkerServer.Application.Sessions.Heartbeat;

public sealed class HeartbeatCommandValidator : AbstractValidator<HeartbeatCommand>
{
    public HeartbeatCommandValidator() => RuleFor(c => c.SessionId).NotEmpty();
}
