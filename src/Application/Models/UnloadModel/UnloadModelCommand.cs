using Mediator;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Models.UnloadModel;

/// <summary>Frees the run's adapter after everything queued before it; its checkpoints stay.</summary>
public sealed record UnloadModelCommand(string ModelId) : ICommand<FutureHandle>;

public sealed class UnloadModelCommandHandler(RunAccess access, FutureEnqueuer enqueuer) : ICommandHandler<UnloadModelCommand, FutureHandle>
{
    public async ValueTask<FutureHandle> Handle(UnloadModelCommand command, CancellationToken cancellationToken)
    {
        var run = await access.GetForRequestAsync(command.ModelId, cancellationToken);
        var future = await enqueuer.EnqueueAsync(
            new NewFuture(RequestKind.UnloadModel, run.Id.Value, null, null, null, new UnloadModelPayload(run.Id.Value)),
            null,
            cancellationToken);
        return new FutureHandle(future.RequestId, run.Id.Value);
    }
}
