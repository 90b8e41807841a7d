using Mediator;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;

namespace TinkerServer.Application.Futures.PurgeFinishedFutures;

/// <summary>Removes finished requests older than the retention, so the queue table does not grow forever.</summary>
public sealed record PurgeFinishedFuturesCommand(int BatchSize = 1000) : ICommand<int>;

public sealed class PurgeFinishedFuturesCommandHandler(IFutureRepository futures, IOptions<EngineOptions> options, TimeProvider time)
    : ICommandHandler<PurgeFinishedFuturesCommand, int>
{
    public async ValueTask<int> Handle(PurgeFinishedFuturesCommand command, CancellationToken cancellationToken) =>
        await futures.DeleteFinishedBeforeAsync(time.GetUtcNow() - options.Value.FutureRetention, command.BatchSize, cancellationToken);
}
