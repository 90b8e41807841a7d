using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Infrastructure.Configuration;
using TinkerServer.Infrastructure.Persistence;

namespace TinkerServer.Infrastructure.Tests.Persistence;

/// <summary>Provider selection, migrations and connection settings.</summary>
public sealed class DatabaseSetupTests
{
    [Fact]
    public async Task Sqlite_connections_use_wal_busy_timeout_normal_sync_and_foreign_keys()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        using var scope = db.Scope();
        await scope.Db.Database.OpenConnectionAsync();
        try
        {
            (await PragmaAsync(scope.Db, "journal_mode")).Should().Be("wal");
            (await PragmaAsync(scope.Db, "busy_timeout")).Should().Be(SqlitePragmas.BusyTimeoutMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            (await PragmaAsync(scope.Db, "synchronous")).Should().Be("1"); // NORMAL
            (await PragmaAsync(scope.Db, "foreign_keys")).Should().Be("1");
        }
        finally
        {
            await scope.Db.Database.CloseConnectionAsync();
        }
    }

    [Fact]
    public async Task Sqlite_foreign_keys_reject_a_checkpoint_of_an_unknown_run()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        using var scope = db.Scope();
        scope.Checkpoints.Add(Domain.Checkpoints.Checkpoint.CreatePending(
            new(Domain.TrainingRuns.TrainingRunId.Parse("missing"), Domain.Checkpoints.CheckpointType.Training, Domain.Checkpoints.CheckpointName.Parse("x")),
            DateTimeOffset.UnixEpoch));
        await scope.Invoking(s => s.SaveAsync()).Should().ThrowAsync<DbUpdateException>();
    }

    [Fact]
    public async Task Migrations_create_the_data_directory_and_schema_on_an_empty_sqlite_file()
    {
        await using var db = TestDatabase.Create(TestDatabase.Sqlite);
        var file = new SqliteConnectionStringBuilder(db.ConnectionString).DataSource;
        Directory.Exists(Path.GetDirectoryName(file)).Should().BeFalse();

        await db.Services.InitializeDatabaseAsync();

        File.Exists(file).Should().BeTrue();
        await AssertMigratedAsync(db);

        // A second start-up finds nothing to do.
        await db.Services.InitializeDatabaseAsync();
        await AssertMigratedAsync(db);
    }

    [PostgresFact]
    public async Task Migrations_create_the_database_and_schema_on_postgres()
    {
        await using var db = TestDatabase.Create(TestDatabase.Postgres);
        await db.Services.InitializeDatabaseAsync();
        await AssertMigratedAsync(db);
        using var scope = db.Scope();
        scope.Db.Should().BeOfType<PostgresAppDbContext>();
    }

    [Fact]
    public void Both_providers_migrations_match_the_model()
    {
        using var sqlite = new SqliteAppDbContextDesignTimeFactory().CreateDbContext([]);
        using var postgres = new PostgresAppDbContextDesignTimeFactory().CreateDbContext([]);

        sqlite.Database.HasPendingModelChanges().Should().BeFalse();
        postgres.Database.HasPendingModelChanges().Should().BeFalse();
        sqlite.Database.GetMigrations().Should().ContainSingle(m => m.EndsWith("_InitialCreate", StringComparison.Ordinal));
        postgres.Database.GetMigrations().Should().ContainSingle(m => m.EndsWith("_InitialCreate", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Host=db.internal;Database=tinker;Username=u;Password=p", typeof(PostgresAppDbContext))]
    [InlineData("host=localhost", typeof(PostgresAppDbContext))]
    [InlineData("Data Source=/tmp/tinker-provider-test.db", typeof(SqliteAppDbContext))]
    public void Connection_string_selects_the_provider(string connectionString, Type expected)
    {
        using var services = new ServiceCollection().AddPersistence(connectionString).BuildServiceProvider();
        using var scope = services.CreateScope();
        scope.ServiceProvider.GetRequiredService<AppDbContext>().Should().BeOfType(expected);
    }

    [Fact]
    public void Configuration_without_a_database_defaults_to_sqlite_in_the_data_directory()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "tinker-config-test");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{TinkerServerOptions.SectionName}:DataDirectory"] = dataDirectory })
            .Build();
        using var services = new ServiceCollection().AddPersistence(configuration).BuildServiceProvider();
        using var scope = services.CreateScope();

        var context = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        context.Should().BeOfType<SqliteAppDbContext>();
        new SqliteConnectionStringBuilder(context.Database.GetConnectionString()).DataSource
            .Should().Be(Path.Combine(Path.GetFullPath(dataDirectory), "tinker.db"));
    }

    private static async Task AssertMigratedAsync(TestDatabase db)
    {
        using var scope = db.Scope();
        (await scope.Db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
        (await scope.Db.Database.GetAppliedMigrationsAsync()).Should().ContainSingle(m => m.EndsWith("_InitialCreate", StringComparison.Ordinal));
        (await scope.Db.Checkpoints.CountAsync()).Should().Be(0);
        (await scope.Db.TrainingRuns.CountAsync()).Should().Be(0);
        (await scope.Db.Sessions.CountAsync()).Should().Be(0);
        (await scope.Db.CheckpointTombstones.CountAsync()).Should().Be(0);
    }

    private static async Task<string> PragmaAsync(DbContext db, string name)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
