using Mediator;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Sessions.ExpireStaleSessions;

/// <summary>
/// Expires sessions without a heartbeat for the configured timeout: their runs are unloaded through the
/// queue (after whatever they still have queued) and their samplers freed. Checkpoints are never touched.
/// </summary>
public sealed record ExpireStaleSessionsCommand : ICommand<int>;

public sealed class ExpireStaleSessionsCommandHandler(
    ISessionRepository sessions,
    ITrainingRunRepository runs,
    ISamplingSessionRepository samplers,
    ITrainingBackend backend,
    FutureEnqueuer enqueuer,
    IUnitOfWork unitOfWork,
    IOptions<EngineOptions> options,
    TimeProvider time) : ICommandHandler<ExpireStaleSessionsCommand, int>
{
    public async ValueTask<int> Handle(ExpireStaleSessionsCommand command, CancellationToken cancellationToken)
    {
        var stale = await sessions.ListStaleAsync(time.GetUtcNow() - options.Value.SessionTimeout, cancellationToken);
        foreach (var session in stale)
        {
            session.Expire();
            await unitOfWork.SaveChangesAsync(cancellationToken);
            foreach (var run in await runs.ListBySessionAsync(session.Id, cancellationToken))
            {
                if (run.Status == TrainingRunStatus.Active)
                {
                    await enqueuer.EnqueueAsync(
                        new NewFuture(RequestKind.UnloadModel, run.Id.Value, null, null, null, new UnloadModelPayload(run.Id.Value)),
                        null,
                        cancellationToken);
                }
            }

            foreach (var sampler in await samplers.ListBySessionAsync(session.Id, cancellationToken))
            {
                await backend.ReleaseSamplerAsync(sampler.Id, cancellationToken);
            }
        }

        return stale.Count;
    }
}
