using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Checkpoints.CollectOrphanArtifacts;
using TinkerServer.Application.Checkpoints.PurgeExpiredCheckpoints;
using TinkerServer.Application.Futures.PurgeFinishedFutures;
using TinkerServer.Application.Sessions.ExpireStaleSessions;
using TinkerServer.Infrastructure.Configuration;

namespace TinkerServer.Infrastructure.Maintenance;

/// <summary>Periodic housekeeping: expires silent sessions (unloading their runs), purges expired checkpoints and old futures, and (less often) removes orphan artifacts.</summary>
public sealed partial class MaintenanceService(
    IServiceScopeFactory scopes,
    IOptions<TinkerServerOptions> options,
    TimeProvider time,
    ILogger<MaintenanceService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private DateTimeOffset? _lastOrphanSweep;

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var now = time.GetUtcNow();
        if (_lastOrphanSweep is null || now - _lastOrphanSweep >= options.Value.OrphanSweepInterval)
        {
            // Walking the whole checkpoint root is the expensive part, so it runs far less often than the rest.
            _lastOrphanSweep = now;
            var orphans = await mediator.Send(new CollectOrphanArtifactsCommand(), cancellationToken);
            if (orphans > 0)
            {
                LogOrphans(logger, orphans);
            }
        }

        var expired = await mediator.Send(new ExpireStaleSessionsCommand(), cancellationToken);
        var purged = await mediator.Send(new PurgeExpiredCheckpointsCommand(), cancellationToken);
        var futures = await mediator.Send(new PurgeFinishedFuturesCommand(), cancellationToken);
        if (expired > 0 || purged > 0 || futures > 0)
        {
            LogSwept(logger, expired, purged, futures);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Maintenance: {Sessions} session(s) expired, {Checkpoints} expired checkpoint(s) purged, {Futures} old future(s) removed")]
    private static partial void LogSwept(ILogger logger, int sessions, int checkpoints, int futures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Maintenance: {Count} orphan artifact(s) removed")]
    private static partial void LogOrphans(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Maintenance pass failed; retrying at the next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
