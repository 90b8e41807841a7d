using Mediator;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Weights.SaveWeights;

/// <summary>save_weights (save_state): a training checkpoint tinker://RUN/weights/NAME.</summary>
public sealed record SaveWeightsCommand(string ModelId, long? SeqId, string? Name, long? TtlSeconds, bool Overwrite) : ICommand<FutureHandle>;

public sealed class SaveWeightsCommandHandler(RunAccess access, PendingCheckpoints pending, FutureEnqueuer enqueuer)
    : ICommandHandler<SaveWeightsCommand, FutureHandle>
{
    public async ValueTask<FutureHandle> Handle(SaveWeightsCommand command, CancellationToken cancellationToken)
    {
        var run = await access.GetForRequestAsync(command.ModelId, cancellationToken);
        var path = new CheckpointPath(run.Id, CheckpointType.Training, CheckpointName.Parse(command.Name));
        var key = command.SeqId is { } seq ? FutureEnqueuer.TrainingKey(run.Id.Value, seq) : null;
        var future = await enqueuer.EnqueueAsync(
            new NewFuture(RequestKind.SaveWeights, run.Id.Value, null, command.SeqId, key,
                new SaveWeightsPayload(path.Name.Value, command.Overwrite, command.TtlSeconds)),
            ct => pending.ReserveAsync(path, command.Overwrite, command.TtlSeconds, ct),
            cancellationToken);
        return new FutureHandle(future.RequestId, run.Id.Value);
    }
}
