using Microsoft.EntityFrameworkCore;

namespace TinkerServer.Infrastructure.Persistence;

/// <summary>The SQLite flavour of <see cref="AppDbContext"/>, with its own migrations (Migrations/Sqlite).</summary>
public sealed class SqliteAppDbContext(DbContextOptions<SqliteAppDbContext> options) : AppDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);

        // SQLite cannot compare or ORDER BY DateTimeOffset; UTC ticks sort and compare correctly as integers.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }
}
