using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TinkerServer.Infrastructure.Persistence.Configurations;

internal sealed class CheckpointTombstoneConfiguration : IEntityTypeConfiguration<CheckpointTombstoneRow>
{
    public const int IdempotencyKeyMaxLength = 255;

    public void Configure(EntityTypeBuilder<CheckpointTombstoneRow> builder)
    {
        builder.ToTable("CheckpointTombstones");

        // A surrogate key: the same path can be deleted again after being re-created.
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).ValueGeneratedOnAdd();
        builder.Property(t => t.IdempotencyKey).IsRequired().HasMaxLength(IdempotencyKeyMaxLength);
        builder.HasIndex(t => new { t.TrainingRunId, t.Type, t.Name, t.IdempotencyKey, t.DeletedAt });
    }
}
