using Mediator;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.Sampling;

namespace TinkerServer.Application.Weights.SaveWeightsForSampler;

/// <summary>
/// Persistent with a name (a sampler checkpoint tinker://RUN/sampler_weights/NAME); ephemeral with
/// sampling_session_seq_id and no name (a sampling session on a snapshot of the weights; nothing on disk).
/// </summary>
public sealed record SaveWeightsForSamplerCommand(
    string ModelId,
    long? SeqId,
    string? Name,
    long? SamplingSessionSeqId,
    long? TtlSeconds) : ICommand<FutureHandle>;

public sealed class SaveWeightsForSamplerCommandHandler(RunAccess access, PendingCheckpoints pending, FutureEnqueuer enqueuer)
    : ICommandHandler<SaveWeightsForSamplerCommand, FutureHandle>
{
    public async ValueTask<FutureHandle> Handle(SaveWeightsForSamplerCommand command, CancellationToken cancellationToken)
    {
        var run = await access.GetForRequestAsync(command.ModelId, cancellationToken);
        var key = command.SeqId is { } seq ? FutureEnqueuer.TrainingKey(run.Id.Value, seq) : null;
        EnqueuedFuture future;
        if (command.Name is not null)
        {
            var path = new CheckpointPath(run.Id, CheckpointType.Sampler, CheckpointName.Parse(command.Name));
            future = await enqueuer.EnqueueAsync(
                new NewFuture(RequestKind.SaveWeightsForSampler, run.Id.Value, null, command.SeqId, key,
                    new SaveWeightsForSamplerPayload(path.Name.Value, null, command.TtlSeconds)),
                ct => pending.ReserveAsync(path, overwrite: false, command.TtlSeconds, ct),
                cancellationToken);
        }
        else
        {
            if (run.SessionId is not { } session)
            {
                throw new DomainRuleViolationException("Ephemeral sampler weights need a model created in a session.");
            }

            var samplerId = SamplingSession.IdFor(session, command.SamplingSessionSeqId!.Value);
            future = await enqueuer.EnqueueAsync(
                new NewFuture(RequestKind.SaveWeightsForSampler, run.Id.Value, null, command.SeqId, key,
                    new SaveWeightsForSamplerPayload(null, samplerId, command.TtlSeconds)),
                null,
                cancellationToken);
        }

        return new FutureHandle(future.RequestId, run.Id.Value);
    }
}
