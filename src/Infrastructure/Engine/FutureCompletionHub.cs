using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;

namespace TinkerServer.Infrastructure.Engine;

/// <summary>
/// Wakes retrieve_future long-polls. Each awaited request id has one shared completion source, however many
/// polls wait on it. Completions in this process (the engine worker) notify directly; completions by other
/// processes are found by <see cref="PollOnceAsync"/>, which asks the database once per tick, in one query,
/// which of all currently awaited ids are done, and only when someone is waiting. N waiters thus cost at most
/// one query per <see cref="EngineOptions.CompletionPollInterval"/>, and an answer comes within one tick.
/// </summary>
public sealed class FutureCompletionHub(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<EngineOptions> options,
    ILogger<FutureCompletionHub> logger) : IFutureCompletionHub
{
    // A poll that read "not done" just before a completion and registers just after its notification still
    // has to be answered: recent completions are remembered this long.
    private static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Waiter> _waiters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);
    private long _queries;

    /// <summary>Database queries made by the shared poll so far.</summary>
    public long QueryCount => Interlocked.Read(ref _queries);

    /// <summary>Distinct request ids currently awaited.</summary>
    public int AwaitedCount
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count;
            }
        }
    }

    public TimeSpan PollInterval => options.Value.CompletionPollInterval;

    public async Task<bool> WaitAsync(string requestId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        Waiter waiter;
        lock (_gate)
        {
            if (_recent.ContainsKey(requestId))
            {
                return true;
            }

            if (!_waiters.TryGetValue(requestId, out waiter!))
            {
                waiter = new Waiter();
                _waiters[requestId] = waiter;
            }

            waiter.Count++;
        }

        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(timeout, time, stop.Token);
            var first = await Task.WhenAny(waiter.Completion.Task, delay);
            await stop.CancelAsync(); // frees the timer at once
            if (first == waiter.Completion.Task)
            {
                return true;
            }

            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
        finally
        {
            lock (_gate)
            {
                // The last poll of an id stops the database from being asked about it.
                if (--waiter.Count == 0 && _waiters.TryGetValue(requestId, out var current) && current == waiter)
                {
                    _waiters.Remove(requestId);
                }
            }
        }
    }

    public void NotifyCompleted(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        Waiter? waiter;
        lock (_gate)
        {
            _waiters.Remove(requestId, out waiter);
            _recent[requestId] = time.GetUtcNow();
        }

        waiter?.Completion.TrySetResult(true);
    }

    /// <summary>One tick of the shared poll: at most one query, and none while nobody waits.</summary>
    public async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        string[] awaited;
        lock (_gate)
        {
            ForgetOldCompletions();
            awaited = [.. _waiters.Keys];
        }

        if (awaited.Length == 0)
        {
            return;
        }

        Interlocked.Increment(ref _queries);
        await using var scope = scopes.CreateAsyncScope();
        var done = await scope.ServiceProvider.GetRequiredService<IFutureRepository>().ListDoneAsync(awaited, cancellationToken);
        foreach (var id in done)
        {
            NotifyCompleted(id);
        }
    }

    /// <summary>Runs the shared poll until stopped; a failing tick is logged and the next one tries again.</summary>
    public async Task RunPollLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await PollOnceAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Polling for completed futures failed");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void ForgetOldCompletions()
    {
        if (_recent.Count == 0)
        {
            return;
        }

        var cutoff = time.GetUtcNow() - RecentWindow;
        foreach (var (id, at) in _recent)
        {
            if (at < cutoff)
            {
                _recent.Remove(id);
            }
        }
    }

    private sealed class Waiter
    {
        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count { get; set; }
    }
}

/// <summary>Runs the hub's shared poll for the lifetime of the host.</summary>
internal sealed class FutureCompletionPoller(FutureCompletionHub hub) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => hub.RunPollLoopAsync(stoppingToken);
}
