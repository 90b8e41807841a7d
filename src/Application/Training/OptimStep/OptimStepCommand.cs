using Mediator;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Training.OptimStep;

public sealed record OptimStepCommand(string ModelId, long? SeqId, AdamParams AdamParams) : ICommand<FutureHandle>;

public sealed class OptimStepCommandHandler(RunAccess access, FutureEnqueuer enqueuer) : ICommandHandler<OptimStepCommand, FutureHandle>
{
    public async ValueTask<FutureHandle> Handle(OptimStepCommand command, CancellationToken cancellationToken)
    {
        var run = await access.GetForRequestAsync(command.ModelId, cancellationToken);
        var key = command.SeqId is { } seq ? FutureEnqueuer.TrainingKey(run.Id.Value, seq) : null;
        var future = await enqueuer.EnqueueAsync(
            new NewFuture(RequestKind.OptimStep, run.Id.Value, null, command.SeqId, key, new OptimStepPayload(command.AdamParams)),
            null,
            cancellationToken);
        return new FutureHandle(future.RequestId, run.Id.Value);
    }
}
