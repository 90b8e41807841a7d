using Mediator;
using TinkerServer.Application.Abstractions.Persistence;

namespace TinkerServer.Application.Sessions.Heartbeat;

public sealed record HeartbeatCommand(string SessionId) : ICommand;

public sealed class HeartbeatCommandHandler(SessionAccess access, IUnitOfWork unitOfWork, TimeProvider time)
    : ICommandHandler<HeartbeatCommand>
{
    public async ValueTask<Mediator.Unit> Handle(HeartbeatCommand command, CancellationToken cancellationToken)
    {
        var session = await access.GetAsync(command.SessionId, requireActive: true, cancellationToken);
        session.Heartbeat(time.GetUtcNow());
        await unitOfWork.SaveChangesAsync(cancellationToken);
        return Mediator.Unit.Value;
    }
}
