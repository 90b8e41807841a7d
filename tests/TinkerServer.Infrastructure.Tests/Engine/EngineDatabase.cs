using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Futures;
using TinkerServer.Infrastructure.Engine;
using TinkerServer.Infrastructure.Persistence;
using TinkerServer.Infrastructure.Tests.Persistence;

namespace TinkerServer.Infrastructure.Tests.Engine;

/// <summary>
/// A migrated temp SQLite file (or, with TINKER_TEST_POSTGRES, a fresh PostgreSQL database) with persistence and the engine registered as the app does (AddPersistence +
/// AddEngine), a controllable clock, and helpers to put requests into the queue and finish them.
/// </summary>
internal sealed class EngineDatabase : IAsyncDisposable
{
    private int _next;

    private EngineDatabase(string provider, string directory, ServiceProvider services, FakeTimeProvider time)
    {
        Provider = provider;
        Directory = directory;
        Services = services;
        Time = time;
    }

    public string Provider { get; }

    public string Directory { get; }

    public ServiceProvider Services { get; }

    public FakeTimeProvider Time { get; }

    public static async Task<EngineDatabase> CreateAsync(
        Action<EngineOptions>? configure = null,
        ITrainingBackend? backend = null,
        IArtifactStorage? storage = null,
        string provider = TestDatabase.Sqlite)
    {
        var directory = Path.Combine(Path.GetTempPath(), "tinker-engine-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection()
            .AddLogging()
            .AddPersistence(provider == TestDatabase.Postgres ? PostgresDatabase() : $"Data Source={Path.Combine(directory, "tinker.db")}")
            .AddEngine();
        services.AddSingleton<TimeProvider>(time);
        services.Configure<EngineOptions>(o => configure?.Invoke(o));
        if (backend is not null)
        {
            services.AddSingleton(backend);
        }

        if (storage is not null)
        {
            services.AddSingleton(storage);
        }

        var built = services.BuildServiceProvider();
        await built.InitializeDatabaseAsync();
        return new EngineDatabase(provider, directory, built, time);
    }

    public AsyncServiceScope Scope() => Services.CreateAsyncScope();

    /// <summary>Stores a pending request; each one arrives 1 ms after the previous.</summary>
    public async Task<FutureRequest> AddAsync(RequestKind kind, string? modelId, long? seq, object? payload = null, string? samplerId = null)
    {
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var json = FutureJson.Serialize(payload ?? new UnloadModelPayload(modelId ?? "-"));
        var request = FutureRequest.Create($"req{_next++:D5}", kind, modelId, samplerId, seq, null, json, FutureJson.Hash(json), Time.GetUtcNow());
        await using var scope = Scope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Futures.Add(request);
        await db.SaveChangesAsync();
        return request;
    }

    public async Task<List<string>> ClaimAsync(string worker = "w1", int maxBatch = 32)
    {
        await using var scope = Scope();
        var claimed = await scope.ServiceProvider.GetRequiredService<IRequestQueue>().ClaimNextAsync(worker, maxBatch, default);
        return claimed.Select(r => r.Id).ToList();
    }

    /// <summary>Completes running requests as a worker would (outcome stored through the queue).</summary>
    public async Task CompleteAsync(IEnumerable<string> ids)
    {
        var wanted = ids.ToList();
        await using var scope = Scope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var requests = await db.Futures.Where(f => wanted.Contains(f.Id)).ToListAsync();
        foreach (var request in requests)
        {
            request.Complete("{}", Time.GetUtcNow());
        }

        await scope.ServiceProvider.GetRequiredService<IRequestQueue>().SaveOutcomeAsync(requests, default);
    }

    public async Task<FutureRequest> GetAsync(string id)
    {
        await using var scope = Scope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Futures.AsNoTracking().SingleAsync(f => f.Id == id);
    }

    public async ValueTask DisposeAsync()
    {
        if (Provider == TestDatabase.Postgres)
        {
            await using var scope = Services.CreateAsyncScope();
            NpgsqlConnection.ClearAllPools();
            await scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.EnsureDeletedAsync();
        }

        await Services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static string PostgresDatabase() =>
        new NpgsqlConnectionStringBuilder(TestDatabase.PostgresConnectionString
            ?? throw new InvalidOperationException($"{TestDatabase.PostgresVariable} is not set."))
        {
            Database = "tinker_engine_" + Guid.NewGuid().ToString("N"),
        }.ConnectionString;
}
