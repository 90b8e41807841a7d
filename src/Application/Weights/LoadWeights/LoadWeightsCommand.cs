using Mediator;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Checkpoints;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Weights.LoadWeights;

/// <summary>load_weights into an existing model, allowed only as its first request after create_model.</summary>
public sealed record LoadWeightsCommand(string ModelId, long? SeqId, string Path, bool Optimizer) : ICommand<FutureHandle>;

public sealed class LoadWeightsCommandHandler(
    RunAccess access,
    CheckpointReadAccess checkpoints,
    IFutureRepository futures,
    FutureEnqueuer enqueuer) : ICommandHandler<LoadWeightsCommand, FutureHandle>
{
    public async ValueTask<FutureHandle> Handle(LoadWeightsCommand command, CancellationToken cancellationToken)
    {
        var run = await access.GetForRequestAsync(command.ModelId, cancellationToken);
        var path = CheckpointPath.ParseTinkerPath(command.Path);
        if (path.Type != CheckpointType.Training)
        {
            throw new InvalidCheckpointPathException(
                $"load_weights needs a training checkpoint (tinker://<run>/weights/<name>), got {path}.");
        }

        var key = command.SeqId is { } seq ? FutureEnqueuer.TrainingKey(run.Id.Value, seq) : null;
        var future = await enqueuer.EnqueueAsync(
            new NewFuture(RequestKind.LoadWeights, run.Id.Value, null, command.SeqId, key,
                new LoadWeightsPayload(path.TinkerPath, command.Optimizer)),
            async ct =>
            {
                if (await futures.HasTrainingRequestsAsync(run.Id.Value, ct))
                {
                    throw new DomainRuleViolationException($"LoadWeights is not permitted with seq_id {command.SeqId}: it must be the model's first request.");
                }

                var source = (await checkpoints.GetReadableAsync(path, anyCaller: false, ct)).Run;
                if (source.BaseModel != run.BaseModel)
                {
                    throw new DomainRuleViolationException(
                        $"Checkpoint {path} was trained on '{source.BaseModel}' but model '{run.Id}' uses '{run.BaseModel}'.");
                }

                return null;
            },
            cancellationToken);
        return new FutureHandle(future.RequestId, run.Id.Value);
    }
}
