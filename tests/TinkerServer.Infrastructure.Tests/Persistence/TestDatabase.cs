using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Infrastructure.Persistence;

namespace TinkerServer.Infrastructure.Tests.Persistence;

/// <summary>
/// A freshly migrated database per test, built through AddPersistence and InitializeDatabaseAsync exactly
/// as the app does: a SQLite file in a temp directory, or a new database on the PostgreSQL server named
/// by TINKER_TEST_POSTGRES.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string PostgresVariable = "TINKER_TEST_POSTGRES";

    private readonly string? _directory;

    private TestDatabase(string provider, string connectionString, string? directory)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _directory = directory;
        Services = new ServiceCollection().AddPersistence(connectionString).BuildServiceProvider();
    }

    public string Provider { get; }

    public string ConnectionString { get; }

    public ServiceProvider Services { get; }

    public static string? PostgresConnectionString => Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } cs ? cs : null;

    /// <summary>SQLite always; PostgreSQL only when the environment names a server.</summary>
    public static TheoryData<string> Providers
    {
        get
        {
            var data = new TheoryData<string> { Sqlite };
            if (PostgresConnectionString is not null)
            {
                data.Add(Postgres);
            }

            return data;
        }
    }

    public static async Task<TestDatabase> CreateAsync(string provider)
    {
        var database = Create(provider);
        await database.Services.InitializeDatabaseAsync();
        return database;
    }

    /// <summary>A database whose schema has not been created yet.</summary>
    public static TestDatabase Create(string provider)
    {
        if (provider == Postgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString
                ?? throw new InvalidOperationException($"{PostgresVariable} is not set."))
            {
                Database = "tinker_test_" + Guid.NewGuid().ToString("N"),
            };
            return new TestDatabase(provider, builder.ConnectionString, null);
        }

        var directory = Path.Combine(Path.GetTempPath(), "tinker-persistence-tests", Guid.NewGuid().ToString("N"));
        var file = Path.Combine(directory, "nested", "tinker.db");
        return new TestDatabase(provider, $"Data Source={file}", directory);
    }

    public TestScope Scope() => new(Services.CreateScope());

    public async ValueTask DisposeAsync()
    {
        if (Provider == Postgres)
        {
            await using (var scope = Services.CreateAsyncScope())
            {
                NpgsqlConnection.ClearAllPools();
                await scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.EnsureDeletedAsync();
            }
        }

        await Services.DisposeAsync();
        if (_directory is not null)
        {
            // Pooled connections keep the file open.
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }
}

/// <summary>One DI scope: one context, as one request would have.</summary>
public sealed class TestScope(IServiceScope scope) : IDisposable
{
    public ICheckpointRepository Checkpoints => scope.ServiceProvider.GetRequiredService<ICheckpointRepository>();

    public ITrainingRunRepository Runs => scope.ServiceProvider.GetRequiredService<ITrainingRunRepository>();

    public ISessionRepository Sessions => scope.ServiceProvider.GetRequiredService<ISessionRepository>();

    public IUnitOfWork UnitOfWork => scope.ServiceProvider.GetRequiredService<IUnitOfWork>();

    public AppDbContext Db => scope.ServiceProvider.GetRequiredService<AppDbContext>();

    public Task SaveAsync() => UnitOfWork.SaveChangesAsync(CancellationToken.None);

    public void Dispose() => scope.Dispose();
}

/// <summary>A fact that runs only when TINKER_TEST_POSTGRES names a PostgreSQL server.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestDatabase.PostgresConnectionString is null)
        {
            Skip = $"Set {TestDatabase.PostgresVariable} to a PostgreSQL connection string to run this test.";
        }
    }
}
