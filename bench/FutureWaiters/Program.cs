// 2000 concurrent retrieve_future long-polls on pending futures against a real SQLite file. Reports the
// database commands per second while they wait, and the delay from a completion committed by "another process"
// (a plain database write, no in-process notification) to the answer, plus the same for in-process completions
// (commit + notify, as the engine worker does). Every command the process sends to SQLite is counted through
// EF Core's diagnostics, not only the hub's own counter.
//
// Modes:
//   http=1 (default)  the whole server in memory (WebApplicationFactory<Program>: endpoints, mediator, validation,
//                     hosted completion poller and engine worker); each waiter is POST /api/v1/retrieve_future.
//   http=0            the application layer only: RetrieveFutureQueryHandler + FutureCompletionHub, no engine.
// The futures are forward_backward requests held behind a missing lower seq_id, so a running engine leaves
// them pending while it keeps looking at them.
//
//   dotnet run -c Release --project bench/FutureWaiters [-- http=1 waiters=2000 wait-s=5 completions=200]
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Application.Futures.RetrieveFuture;
using TinkerServer.Domain.Futures;
using TinkerServer.Infrastructure.Engine;
using TinkerServer.Infrastructure.Persistence;

namespace TinkerServer.Bench.FutureWaiters;

/// <summary>Not a top-level program: the Api's generated Program class is what WebApplicationFactory hosts.</summary>
internal static class FutureWaitersBench
{
    public static async Task Main(string[] args)
    {
        var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        int Setting(string name, int fallback) => settings.TryGetValue(name, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
        var overHttp = Setting("http", 1) == 1;
        var waiters = Setting("waiters", 2000);
        var idleSeconds = Setting("wait-s", 5);
        var completions = Math.Min(Setting("completions", 200), waiters / 2);
        var tick = new EngineOptions().CompletionPollInterval;

        var directory = Path.Combine(Path.GetTempPath(), "tinker-bench-waiters", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        using var counter = new CommandCounter();

        IServiceProvider services;
        Func<string, Task<bool>> retrieve;
        WebApplicationFactory<Program>? server = null;
        HttpClient? client = null;
        if (overHttp)
        {
            server = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
            {
                b.UseContentRoot(Path.Combine(RepositoryRoot(), "src", "Api"));
                b.UseEnvironment("Development");
                b.UseSetting("TinkerServer:DataDirectory", directory);
                b.UseSetting("TinkerServer:LongPollTimeout", "00:00:40"); // longer than the run: every answer is a wake-up
                b.UseSetting("TinkerServer:SeqGapHoldTimeout", "00:10:00");
                b.UseSetting("Logging:LogLevel:Default", "Warning");
            });
            client = server.CreateClient();
            client.Timeout = TimeSpan.FromMinutes(2);
            services = server.Services;
            retrieve = async id =>
            {
                using var response = await client.PostAsJsonAsync("/api/v1/retrieve_future", new { request_id = id });
                return response.StatusCode == HttpStatusCode.OK;
            };
        }
        else
        {
            var collection = new ServiceCollection()
                .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
                .AddPersistence($"Data Source={Path.Combine(directory, "tinker.db")}")
                .AddEngine();
            collection.Configure<EngineOptions>(o => o.LongPollTimeout = TimeSpan.FromSeconds(40));
            var provider = collection.BuildServiceProvider();
            await provider.InitializeDatabaseAsync();
            services = provider;
            retrieve = async id =>
            {
                await using var scope = provider.CreateAsyncScope();
                var handler = new RetrieveFutureQueryHandler(
                    scope.ServiceProvider.GetRequiredService<IFutureRepository>(),
                    scope.ServiceProvider.GetRequiredService<FutureCompletionHub>(),
                    scope.ServiceProvider.GetRequiredService<IOptions<EngineOptions>>());
                return await handler.Handle(new RetrieveFutureQuery(id), CancellationToken.None) is FutureCompleted;
            };
        }

        var hub = services.GetRequiredService<FutureCompletionHub>();
        using var stop = new CancellationTokenSource();
        var pollLoop = overHttp ? Task.CompletedTask : hub.RunPollLoopAsync(stop.Token); // the server runs its own poller
        Console.WriteLine($"SQLite file, {waiters} waiters on {waiters} pending futures, poll tick {tick.TotalMilliseconds} ms, " +
            (overHttp ? "over HTTP through the in-memory server (engine worker running)" : "application layer only (no engine)"));

        // The pending futures: seq 2 of its own run while seq 1 never arrives, so an engine holds them.
        var ids = new List<string>(waiters);
        await using (var scope = services.CreateAsyncScope())
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
                db.Futures.Add(FutureRequest.Create(id, RequestKind.ForwardBackward, $"s:train:{i}", null, 2, null, json, FutureJson.Hash(json), DateTimeOffset.UtcNow));
            }

            await db.SaveChangesAsync();
        }

        var answeredAt = new long[waiters];
        var polls = ids.Select((id, i) => Task.Run(async () =>
        {
            var done = await retrieve(id);
            answeredAt[i] = Stopwatch.GetTimestamp();
            return done;
        })).ToList();

        var started = Stopwatch.StartNew();
        while (hub.AwaitedCount < waiters && started.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(10);
        }

        Console.WriteLine($"all {hub.AwaitedCount} waiters registered after {started.ElapsedMilliseconds} ms ({counter.Count} commands so far: set-up and each poll's first read)");

        // Idle phase: everyone waits, nothing completes.
        var before = counter.Count;
        var hubBefore = hub.QueryCount;
        var idle = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        var idleCommands = counter.Count - before;
        var hubPolls = hub.QueryCount - hubBefore;
        var seconds = idle.Elapsed.TotalSeconds;
        Console.WriteLine($"idle {seconds:F2} s: {idleCommands} database commands = {idleCommands / seconds:F2} per second in total; " +
            $"waiters: {hubPolls} completion polls = {hubPolls / seconds:F2} per second (one tick = {1 / tick.TotalSeconds:F2} per second); " +
            $"other (engine planning): {idleCommands - hubPolls} = {(idleCommands - hubPolls) / seconds:F2} per second");

        // Completions by "another process": committed straight to the database, nobody notifies the hub.
        var crossIndexes = Enumerable.Range(0, completions).Select(i => i * 2).ToList();
        var committedAt = new long[waiters];
        foreach (var i in crossIndexes)
        {
            await CompleteInDatabaseAsync(services, ids[i]);
            committedAt[i] = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromMilliseconds(7)); // spread over many tick phases
        }

        var crossAnswers = await Task.WhenAll(crossIndexes.Select(i => polls[i]));
        Report("cross-process completion → answer", crossIndexes, crossAnswers);

        // In-process completions (what the engine worker does): commit, then notify.
        var localIndexes = Enumerable.Range(0, completions).Select(i => i * 2 + 1).ToList();
        foreach (var i in localIndexes)
        {
            await CompleteInDatabaseAsync(services, ids[i]);
            committedAt[i] = Stopwatch.GetTimestamp();
            hub.NotifyCompleted(ids[i]);
        }

        var localAnswers = await Task.WhenAll(localIndexes.Select(i => polls[i]));
        Report("in-process completion → answer", localIndexes, localAnswers);

        await stop.CancelAsync();
        await pollLoop;
        Console.WriteLine($"{hub.AwaitedCount} waiters still registered (abandoned)");
        Environment.Exit(0); // the abandoned long-polls would otherwise hold the process for their 40 s

        void Report(string what, List<int> indexes, bool[] answers)
        {
            var ms = indexes.Select(i => Stopwatch.GetElapsedTime(committedAt[i], answeredAt[i]).TotalMilliseconds).Order().ToList();
            double P(double q) => ms[(int)Math.Min(ms.Count - 1, Math.Round(q * (ms.Count - 1)))];
            Console.WriteLine($"{what} ({answers.Count(a => a)}/{answers.Length} completed): p50 {P(0.5):F1} ms, p95 {P(0.95):F1} ms, " +
                $"max {ms[^1]:F1} ms = {ms[^1] / tick.TotalMilliseconds:F2} ticks at worst");
        }

        static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "TinkerServer.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Run the benchmark from inside the repository.");
        }

        static async Task CompleteInDatabaseAsync(IServiceProvider services, string id)
        {
            await using var scope = services.CreateAsyncScope();
            var result = FutureJson.Serialize(new ForwardBackwardOutput(
                "TensorData",
                [new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromFloats([-1f, -2f, -3f]) }],
                new Dictionary<string, double> { ["loss:sum"] = 6 }));
            var now = DateTimeOffset.UtcNow;
            await scope.ServiceProvider.GetRequiredService<AppDbContext>().Futures
                .Where(f => f.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(f => f.Status, FutureStatus.Completed)
                    .SetProperty(f => f.Result, result)
                    .SetProperty(f => f.CompletedAt, now));
        }
    }
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
