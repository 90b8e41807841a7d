using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Sampling.Sample;

/// <summary>asample on a sampling session; (sampling_session_id, seq_id) identifies retries.</summary>
public sealed record SampleCommand(string SamplingSessionId, long? SeqId, SampleInput Input) : ICommand<FutureHandle>;

public sealed class SampleCommandHandler(
    ISamplingSessionRepository samplers,
    ISessionRepository sessions,
    ICurrentCaller caller,
    FutureEnqueuer enqueuer) : ICommandHandler<SampleCommand, FutureHandle>
{
    public async ValueTask<FutureHandle> Handle(SampleCommand command, CancellationToken cancellationToken)
    {
        var sampler = await samplers.FindAsync(command.SamplingSessionId, cancellationToken);
        var session = sampler is null ? null : await sessions.FindAsync(sampler.SessionId, cancellationToken);
        if (sampler is null || session is null || session.Owner != caller.Owner)
        {
            throw new NotFoundException($"Sampling session '{command.SamplingSessionId}' not found.");
        }

        var key = command.SeqId is { } seq ? FutureEnqueuer.SampleKey(sampler.Id, seq) : null;
        var future = await enqueuer.EnqueueAsync(
            new NewFuture(RequestKind.Sample, null, sampler.Id, command.SeqId, key, new SamplePayload(command.Input)),
            null,
            cancellationToken);
        return new FutureHandle(future.RequestId, null);
    }
}
