using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Infrastructure.Persistence.Configurations;

/// <summary>The durable request queue: one row per future.</summary>
internal sealed class FutureRequestConfiguration : IEntityTypeConfiguration<FutureRequest>
{
    // "model:{run id}:seq:{int64}" and the like: two identifiers and a number.
    private const int DedupKeyMaxLength = 2 * Identifier.MaxLength + 64;

    public void Configure(EntityTypeBuilder<FutureRequest> builder)
    {
        builder.ToTable("Futures");
        builder.HasKey(f => f.Id);
        builder.Ignore(f => f.IsDone);
        builder.Property(f => f.Id).HasMaxLength(Identifier.MaxLength);
        builder.Property(f => f.Kind).HasConversion<string>().HasMaxLength(AppDbContext.EnumMaxLength);
        builder.Property(f => f.Status).HasConversion<string>().HasMaxLength(AppDbContext.EnumMaxLength);
        builder.Property(f => f.ModelId).HasMaxLength(Identifier.MaxLength);
        builder.Property(f => f.SamplingSessionId).HasMaxLength(Identifier.MaxLength);
        builder.Property(f => f.DedupKey).HasMaxLength(DedupKeyMaxLength);
        builder.Property(f => f.Payload).IsRequired();
        builder.Property(f => f.PayloadHash).IsRequired().HasMaxLength(64);
        builder.Property(f => f.ErrorCategory).HasMaxLength(AppDbContext.EnumMaxLength);
        builder.Property(f => f.ClaimedBy).HasMaxLength(Identifier.MaxLength);

        // Idempotency: a retry finds the original; two racing inserts of one key cannot both commit.
        // Requests without a key (NULL) are never deduplicated, which both providers allow in a unique index.
        builder.HasIndex(f => f.DedupKey).IsUnique();

        // The engine's scheduling reads: a run's queue in seq order, the queue head in arrival order, a sampler's queue.
        builder.HasIndex(f => new { f.ModelId, f.Status, f.SeqId });
        builder.HasIndex(f => new { f.Status, f.CreatedAt });
        builder.HasIndex(f => new { f.SamplingSessionId, f.Status });
    }
}
