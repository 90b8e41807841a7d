// 2000 concurrent retrieve_future long-polls on pending futures against a real SQLite file, through the
// real RetrieveFutureQueryHandler, EfFutureRepository and FutureCompletionHub with its shared poll.
// Reports the database commands per second while they wait, and the delay from a completion committed by
// "another process" (a plain database write, no in-process notification) to the answer, plus the same for
// in-process completions. Every command the process sends to SQLite is counted through EF's diagnostics.
//
// With engine=1 the hosted engine worker runs too (its idle planning polls are counted); the futures are then
// forward_backward requests held behind a missing lower seq_id, so they stay pending while the engine looks at them.
//
//   dotnet run -c Release --project bench/FutureWaiters [-- waiters=2000 tick-ms=250 wait-s=5 completions=200 engine=0]
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Application.Futures.RetrieveFuture;
using TinkerServer.Domain.Futures;
using TinkerServer.Infrastructure.Engine;
using TinkerServer.Infrastructure.Persistence;
using TinkerServer.Infrastructure.Storage;

var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
int Setting(string name, int fallback) => settings.TryGetValue(name, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
var waiters = Setting("waiters", 2000);
var tick = TimeSpan.FromMilliseconds(Setting("tick-ms", 250));
var idleSeconds = Setting("wait-s", 5);
var completions = Math.Min(Setting("completions", 200), waiters / 2);
var withEngine = Setting("engine", 0) == 1;

var directory = Path.Combine(Path.GetTempPath(), "tinker-bench-waiters", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(directory);
var services = new ServiceCollection()
    .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
    .AddPersistence($"Data Source={Path.Combine(directory, "tinker.db")}")
    .AddEngine();
services.Configure<EngineOptions>(o =>
{
    o.CompletionPollInterval = tick;
    o.LongPollTimeout = TimeSpan.FromSeconds(40); // longer than the run: every answer below is a wake-up, not a timeout
    o.SeqGapHoldTimeout = TimeSpan.FromMinutes(10);
});
if (withEngine)
{
    services.AddSingleton<IArtifactStorage>(new FileSystemArtifactStorage(Path.Combine(directory, "checkpoints")));
}

await using var provider = services.BuildServiceProvider();
await provider.InitializeDatabaseAsync();

using var counter = new CommandCounter();
Console.WriteLine($"SQLite file, {waiters} waiters on {waiters} pending futures, poll tick {tick.TotalMilliseconds} ms, " +
    (withEngine ? "engine worker running (idle: every future is held behind a missing seq)" : "no engine worker"));

// The pending futures.
var ids = new List<string>(waiters);
await using (var scope = provider.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
    var json = FutureJson.Serialize(new ForwardBackwardPayload(new ForwardBackwardBatch(
        [new Datum([1, 2, 3], new Dictionary<string, TensorData> { ["target_tokens"] = TensorData.FromInts([2, 3, 4]) })],
        LossFunctions.CrossEntropy,
        new Dictionary<string, double>())));
    for (var i = 0; i < waiters; i++)
    {
        var id = $"req_bench_{i:D5}";
        ids.Add(id);

        // seq 2 of its run while seq 1 never arrives: held, so an engine leaves it pending.
        db.Futures.Add(FutureRequest.Create(id, RequestKind.ForwardBackward, $"s:train:{i}", null, 2, null, json, FutureJson.Hash(json), DateTimeOffset.UtcNow));
    }

    await db.SaveChangesAsync();
}

var hub = provider.GetRequiredService<FutureCompletionHub>();
using var stop = new CancellationTokenSource();
var pollLoop = hub.RunPollLoopAsync(stop.Token);
var engine = provider.GetRequiredService<EngineWorker>();
if (withEngine)
{
    await engine.StartAsync(CancellationToken.None);
}

// Every waiter is one retrieve_future: its own scope, the handler's first read, then the shared wait.
var answeredAt = new long[waiters];
var polls = ids.Select((id, i) => Task.Run(async () =>
{
    await using var scope = provider.CreateAsyncScope();
    var handler = new RetrieveFutureQueryHandler(
        scope.ServiceProvider.GetRequiredService<IFutureRepository>(),
        hub,
        scope.ServiceProvider.GetRequiredService<IOptions<EngineOptions>>());
    var outcome = await handler.Handle(new RetrieveFutureQuery(id), CancellationToken.None);
    answeredAt[i] = Stopwatch.GetTimestamp();
    return outcome;
})).ToList();

var started = Stopwatch.StartNew();
while (hub.AwaitedCount < waiters && started.Elapsed < TimeSpan.FromSeconds(60))
{
    await Task.Delay(10);
}

Console.WriteLine($"all {hub.AwaitedCount} waiters registered after {started.ElapsedMilliseconds} ms ({counter.Count} commands so far: the initial reads)");

// Idle phase: everyone waits, nothing completes.
var before = counter.Count;
var hubBefore = hub.QueryCount;
var idle = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
var idleCommands = counter.Count - before;
var idleRate = idleCommands / idle.Elapsed.TotalSeconds;
var hubPolls = hub.QueryCount - hubBefore;
Console.WriteLine($"idle {idle.Elapsed.TotalSeconds:F2} s: {idleCommands} database commands = {idleRate:F2} per second in total; " +
    $"waiters: {hubPolls} hub polls = {hubPolls / idle.Elapsed.TotalSeconds:F2} per second (one tick = {1 / tick.TotalSeconds:F2} per second)" +
    (withEngine ? $"; engine planning: {idleCommands - hubPolls} = {(idleCommands - hubPolls) / idle.Elapsed.TotalSeconds:F2} per second" : ""));

// Completions by "another process": committed straight to the database, nobody notifies the hub.
var crossIndexes = Enumerable.Range(0, completions).Select(i => i * 2).ToList();
var crossCommittedAt = new long[waiters];
foreach (var i in crossIndexes)
{
    await CompleteInDatabaseAsync(provider, ids[i]);
    crossCommittedAt[i] = Stopwatch.GetTimestamp();
    await Task.Delay(TimeSpan.FromMilliseconds(7)); // spread over many tick phases
}

await Task.WhenAll(crossIndexes.Select(i => polls[i]));
Report("cross-process completion → answer", crossIndexes.Select(i => Stopwatch.GetElapsedTime(crossCommittedAt[i], answeredAt[i])).ToList());

// In-process completions (the engine worker): commit, then notify.
var localIndexes = Enumerable.Range(0, completions).Select(i => i * 2 + 1).ToList();
var localCommittedAt = new long[waiters];
foreach (var i in localIndexes)
{
    await CompleteInDatabaseAsync(provider, ids[i]);
    localCommittedAt[i] = Stopwatch.GetTimestamp();
    hub.NotifyCompleted(ids[i]);
}

await Task.WhenAll(localIndexes.Select(i => polls[i]));
Report("in-process completion → answer", localIndexes.Select(i => Stopwatch.GetElapsedTime(localCommittedAt[i], answeredAt[i])).ToList());

var outcomes = await Task.WhenAll(crossIndexes.Concat(localIndexes).Select(i => polls[i]));
Console.WriteLine($"answers: {outcomes.Count(o => o is FutureCompleted)} completed of {outcomes.Length} (the rest still wait)");

await stop.CancelAsync();
await pollLoop;
if (withEngine)
{
    await engine.StopAsync(CancellationToken.None);
}

Console.WriteLine($"remaining waiters are abandoned; {hub.AwaitedCount} still registered");
Environment.Exit(0); // the remaining long-polls would otherwise hold the process for their 40 s

void Report(string what, List<TimeSpan> delays)
{
    var ms = delays.Select(d => d.TotalMilliseconds).Order().ToList();
    double P(double q) => ms[(int)Math.Min(ms.Count - 1, Math.Round(q * (ms.Count - 1)))];
    Console.WriteLine($"{what} ({ms.Count}): p50 {P(0.5):F1} ms, p95 {P(0.95):F1} ms, max {ms[^1]:F1} ms " +
        $"= {ms[^1] / tick.TotalMilliseconds:F2} ticks at worst");
}

static async Task CompleteInDatabaseAsync(IServiceProvider provider, string id)
{
    await using var scope = provider.CreateAsyncScope();
    var now = DateTimeOffset.UtcNow;
    await scope.ServiceProvider.GetRequiredService<AppDbContext>().Futures
        .Where(f => f.Id == id)
        .ExecuteUpdateAsync(s => s.SetProperty(f => f.Status, FutureStatus.Completed)
            .SetProperty(f => f.Result, "{\"metrics\":{}}")
            .SetProperty(f => f.CompletedAt, now));
}

/// <summary>Counts every database command EF executes in this process.</summary>
internal sealed class CommandCounter : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly IDisposable _subscription;
    private readonly List<IDisposable> _listeners = [];
    private long _count;

    public CommandCounter() => _subscription = DiagnosticListener.AllListeners.Subscribe(this);

    public long Count => Interlocked.Read(ref _count);

    public void OnNext(DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
        {
            lock (_listeners)
            {
                _listeners.Add(value.Subscribe(this));
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == RelationalEventId.CommandExecuted.Name)
        {
            Interlocked.Increment(ref _count);
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        _subscription.Dispose();
        lock (_listeners)
        {
            _listeners.ForEach(l => l.Dispose());
        }
    }
}
