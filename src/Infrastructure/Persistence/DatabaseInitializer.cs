using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace TinkerServer.Infrastructure.Persistence;

/// <summary>Brings the database to the current schema before the server takes requests.</summary>
public static class DatabaseInitializer
{
    /// <summary>Creates the SQLite data directory if needed and applies pending migrations (creating the database if missing).</summary>
    public static async Task InitializeDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (db.Database.IsSqlite())
        {
            DatabaseProvider.EnsureSqliteDirectory(db.Database.GetConnectionString()!);
        }

        await db.Database.MigrateAsync(cancellationToken);
    }
}
