using Microsoft.EntityFrameworkCore;

namespace TinkerServer.Infrastructure.Persistence;

/// <summary>The PostgreSQL flavour of <see cref="AppDbContext"/>, with its own migrations (Migrations/Postgres).</summary>
public sealed class PostgresAppDbContext(DbContextOptions<PostgresAppDbContext> options) : AppDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);

        // timestamptz only accepts offset 0 through Npgsql; normalise whatever offset the caller used.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
    }
}
