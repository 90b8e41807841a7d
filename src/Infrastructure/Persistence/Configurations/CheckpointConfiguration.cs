using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Persistence.Configurations;

internal sealed class CheckpointConfiguration : IEntityTypeConfiguration<Checkpoint>
{
    public void Configure(EntityTypeBuilder<Checkpoint> builder)
    {
        builder.ToTable("Checkpoints");

        // The path is the identity: tinker://RUN/KIND/NAME.
        builder.HasKey(c => new { c.TrainingRunId, c.Type, c.Name });
        builder.Ignore(c => c.Path);
        builder.Ignore(c => c.Time);

        // A checkpoint belongs to a run; the owner lives on the run.
        builder.HasOne<TrainingRun>().WithMany().HasForeignKey(c => c.TrainingRunId).OnDelete(DeleteBehavior.Cascade);

        // Listing a run's visible checkpoints, and the expiry sweep.
        builder.HasIndex(c => new { c.TrainingRunId, c.Status, c.CompletedAt });
        builder.HasIndex(c => new { c.Status, c.ExpiresAt });
    }
}
