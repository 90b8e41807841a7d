using Mediator;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Training.ForwardBackward;

/// <summary>forward_backward, or forward with <paramref name="ForwardOnly"/> (no gradients accumulate).</summary>
public sealed record ForwardBackwardCommand(string ModelId, long? SeqId, bool ForwardOnly, ForwardBackwardBatch Batch) : ICommand<FutureHandle>;

public sealed class ForwardBackwardCommandHandler(RunAccess access, FutureEnqueuer enqueuer) : ICommandHandler<ForwardBackwardCommand, FutureHandle>
{
    public async ValueTask<FutureHandle> Handle(ForwardBackwardCommand command, CancellationToken cancellationToken)
    {
        var run = await access.GetForRequestAsync(command.ModelId, cancellationToken);
        var kind = command.ForwardOnly ? RequestKind.Forward : RequestKind.ForwardBackward;
        var key = command.SeqId is { } seq ? FutureEnqueuer.TrainingKey(run.Id.Value, seq) : null;
        var future = await enqueuer.EnqueueAsync(
            new NewFuture(kind, run.Id.Value, null, command.SeqId, key, new ForwardBackwardPayload(command.Batch)),
            null,
            cancellationToken);
        return new FutureHandle(future.RequestId, run.Id.Value);
    }
}
