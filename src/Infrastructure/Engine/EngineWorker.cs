using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Common;
using TinkerServer.Application.Engine;

namespace TinkerServer.Infrastructure.Engine;

/// <summary>
/// The hosted engine: runs start-up recovery once, then <see cref="EngineOptions.WorkerConcurrency"/> loops
/// that each claim a work item, execute it with <see cref="RequestExecutor"/> in a fresh DI scope, store the
/// outcome in one transaction and wake the item's retrieve_future polls. Idle loops sleep until new work is
/// signalled or <see cref="EngineOptions.WorkerPollInterval"/> passes (held requests and other processes'
/// enqueues are noticed that way).
/// </summary>
public sealed class EngineWorker(
    IServiceScopeFactory scopes,
    IEngineSignal signal,
    IFutureCompletionHub completions,
    IOptions<EngineOptions> options,
    ILogger<EngineWorker> logger) : BackgroundService
{
    // Unique per process start, so a claim can be traced to the worker that made it.
    private readonly string _workerId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once start-up recovery is done and the loops run.</summary>
    public Task Started => _recovered.Task;

    /// <summary>Start-up recovery: requeue interrupted requests, fail interrupted saves, remove staged leftovers.</summary>
    public async Task<RecoveryReport> RecoverAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var report = await scope.ServiceProvider.GetRequiredService<EngineRecovery>().RecoverAsync(cancellationToken);
        foreach (var id in report.FailedRequestIds)
        {
            completions.NotifyCompleted(id);
        }

        return report;
    }

    /// <summary>Claims and executes one work item; false when nothing was runnable.</summary>
    public async Task<bool> RunOnceAsync(string slotId, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> ids;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<IRequestQueue>();
            var batch = await queue.ClaimNextAsync(slotId, options.Value.MaxBatch, cancellationToken);
            if (batch.Count == 0)
            {
                return false;
            }

            // There may be more runnable work (other runs): let an idle sibling look for it meanwhile.
            signal.WorkAvailable();
            ids = batch.Select(r => r.Id).ToList();
            await scope.ServiceProvider.GetRequiredService<RequestExecutor>().ExecuteAsync(batch, cancellationToken);
            try
            {
                await queue.SaveOutcomeAsync(batch, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Storing the outcome of requests {RequestIds} failed", ids);
                await FailInFreshScopeAsync(ids, cancellationToken);
            }
        }

        foreach (var id in ids)
        {
            completions.NotifyCompleted(id);
        }

        return true;
    }

    /// <summary>
    /// Recovery runs before the host starts serving requests: its clean-up of staged leftovers must never meet
    /// a write that has already begun in this process.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.RunEngineWorker)
        {
            await RecoverAsync(cancellationToken);
            _recovered.TrySetResult();
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunEngineWorker)
        {
            logger.LogInformation("Engine worker disabled (TinkerServer:RunEngineWorker = false)");
            return;
        }

        await Task.Yield();
        var loops = Enumerable.Range(0, Math.Max(1, options.Value.WorkerConcurrency))
            .Select(i => RunLoopAsync($"{_workerId}/{i}", stoppingToken));
        await Task.WhenAll(loops);
    }

    private async Task RunLoopAsync(string slotId, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await RunOnceAsync(slotId, stoppingToken))
                {
                    await signal.WaitAsync(options.Value.WorkerPollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: a request cut off mid-run stays running and is requeued at the next start-up.
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Engine loop {Slot} failed; continuing", slotId);
                try
                {
                    await Task.Delay(options.Value.WorkerPollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task FailInFreshScopeAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IRequestQueue>().FailRunningAsync(
                ids, "The server could not store the result of this request; see the server log.", cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // They stay running and are requeued at the next start-up.
            logger.LogError(ex, "Failing requests {RequestIds} after a storage error failed too", ids);
        }
    }
}
