using Microsoft.EntityFrameworkCore;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.Sampling;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;
using TinkerServer.Infrastructure.Persistence.Configurations;

namespace TinkerServer.Infrastructure.Persistence;

/// <summary>
/// The one model shared by every provider. The app resolves this type; the provider-specific
/// subclasses only exist so each provider gets its own migrations and column types.
/// </summary>
public class AppDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<TrainingRun> TrainingRuns => Set<TrainingRun>();

    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();

    public DbSet<Session> Sessions => Set<Session>();

    public DbSet<FutureRequest> Futures => Set<FutureRequest>();

    public DbSet<SamplingSession> SamplingSessions => Set<SamplingSession>();

    internal DbSet<CheckpointTombstoneRow> CheckpointTombstones => Set<CheckpointTombstoneRow>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);

        // Also applies to the nullable forms of these types.
        configurationBuilder.Properties<TrainingRunId>().HaveConversion<TrainingRunIdConverter>().HaveMaxLength(Domain.Common.Identifier.MaxLength);
        configurationBuilder.Properties<SessionId>().HaveConversion<SessionIdConverter>().HaveMaxLength(Domain.Common.Identifier.MaxLength);
        configurationBuilder.Properties<CheckpointName>().HaveConversion<CheckpointNameConverter>().HaveMaxLength(Domain.Common.Identifier.MaxLength);

        // Enums as strings: readable in the database and safe against reordering the enum members.
        configurationBuilder.Properties<CheckpointType>().HaveConversion<string>().HaveMaxLength(EnumMaxLength);
        configurationBuilder.Properties<CheckpointStatus>().HaveConversion<string>().HaveMaxLength(EnumMaxLength);
        configurationBuilder.Properties<TrainingRunStatus>().HaveConversion<string>().HaveMaxLength(EnumMaxLength);
        configurationBuilder.Properties<SessionStatus>().HaveConversion<string>().HaveMaxLength(EnumMaxLength);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfiguration(new TrainingRunConfiguration());
        modelBuilder.ApplyConfiguration(new CheckpointConfiguration());
        modelBuilder.ApplyConfiguration(new CheckpointTombstoneConfiguration());
        modelBuilder.ApplyConfiguration(new SessionConfiguration());
        modelBuilder.ApplyConfiguration(new FutureRequestConfiguration());
        modelBuilder.ApplyConfiguration(new SamplingSessionConfiguration());
    }

    internal const int EnumMaxLength = 32;
}
