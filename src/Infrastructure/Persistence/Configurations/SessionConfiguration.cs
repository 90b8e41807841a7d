using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.Sessions;

namespace TinkerServer.Infrastructure.Persistence.Configurations;

internal sealed class SessionConfiguration : IEntityTypeConfiguration<Session>
{
    public void Configure(EntityTypeBuilder<Session> builder)
    {
        builder.ToTable("Sessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Owner).IsRequired().HasMaxLength(Identifier.MaxLength);
        builder.Property(s => s.IdempotencyKey).HasMaxLength(Identifier.MaxLength);
        builder.Property(s => s.SdkVersion).HasMaxLength(64);
        builder.Property(s => s.Tags)
            .HasConversion(JsonColumn.ListConverter, JsonColumn.ListComparer)
            .IsRequired();
        builder.Property(s => s.UserMetadata)
            .HasConversion(JsonColumn.DictionaryConverter, JsonColumn.DictionaryComparer)
            .IsRequired();

        // An owner's sessions, newest first; the stale-session sweep.
        builder.HasIndex(s => new { s.Owner, s.CreatedAt });
        builder.HasIndex(s => new { s.Status, s.LastHeartbeatAt });

        // Retries of create_session find the session made under their idempotency key.
        builder.HasIndex(s => new { s.Owner, s.IdempotencyKey });
    }
}
