using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Sessions;

namespace TinkerServer.Application.Sessions.CreateSession;

/// <param name="IdempotencyKey">X-Idempotency-Key: the SDK's HTTP layer retries create_session with the same key.</param>
public sealed record CreateSessionCommand(
    IReadOnlyList<string>? Tags,
    IReadOnlyDictionary<string, string>? UserMetadata,
    string? SdkVersion,
    string? IdempotencyKey) : ICommand<string>
{
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(10);
}

public sealed class CreateSessionCommandHandler(
    ISessionRepository sessions,
    IUnitOfWork unitOfWork,
    ICurrentCaller caller,
    TimeProvider time) : ICommandHandler<CreateSessionCommand, string>
{
    public async ValueTask<string> Handle(CreateSessionCommand command, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (command.IdempotencyKey is { Length: > 0 } key &&
            await sessions.FindByIdempotencyKeyAsync(caller.Owner, key, now - CreateSessionCommand.ReplayWindow, cancellationToken) is { } earlier)
        {
            return earlier.Id.Value;
        }

        var session = Session.Start(
            SessionId.New(Guid.NewGuid()), caller.Owner, now, command.SdkVersion, command.Tags, command.UserMetadata, command.IdempotencyKey);
        sessions.Add(session);
        await unitOfWork.SaveChangesAsync(cancellationToken);
        return session.Id.Value;
    }
}
