using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Infrastructure.Configuration;
using TinkerServer.Infrastructure.Persistence.Repositories;

namespace TinkerServer.Infrastructure.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>Registers the database from the "TinkerServer" configuration section (see <see cref="TinkerServerOptions.Database"/>).</summary>
    public static IServiceCollection AddPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(TinkerServerOptions.SectionName).Get<TinkerServerOptions>() ?? new TinkerServerOptions();
        return services.AddPersistence(options);
    }

    public static IServiceCollection AddPersistence(this IServiceCollection services, TinkerServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddPersistence(options.ResolvedDatabase);
    }

    /// <summary>
    /// Registers <see cref="AppDbContext"/> (scoped), the repositories and the unit of work. A connection
    /// string containing "Host=" selects PostgreSQL; anything else is a SQLite connection string.
    /// </summary>
    public static IServiceCollection AddPersistence(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        if (DatabaseProvider.IsPostgres(connectionString))
        {
            services.AddDbContext<AppDbContext, PostgresAppDbContext>(b => b.UseNpgsql(connectionString));
        }
        else
        {
            services.AddDbContext<AppDbContext, SqliteAppDbContext>(b => b.UseSqlite(connectionString).AddInterceptors(SqlitePragmas.Instance));
        }

        services.AddScoped<ICheckpointRepository, CheckpointRepository>();
        services.AddScoped<ITrainingRunRepository, TrainingRunRepository>();
        services.AddScoped<ISessionRepository, SessionRepository>();
        services.AddScoped<IUnitOfWork, EfUnitOfWork>();
        return services;
    }
}
