using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.Sampling;

namespace TinkerServer.Infrastructure.Persistence.Configurations;

internal sealed class SamplingSessionConfiguration : IEntityTypeConfiguration<SamplingSession>
{
    public void Configure(EntityTypeBuilder<SamplingSession> builder)
    {
        builder.ToTable("SamplingSessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).HasMaxLength(Identifier.MaxLength);
        builder.Property(s => s.BaseModel).IsRequired();

        // The canonical tinker:// path; parsed back through the value object so a stored path is always valid.
        builder.Property(s => s.ModelPath)
            .HasConversion(p => p!.TinkerPath, s => CheckpointPath.ParseTinkerPath(s, false))
            .HasMaxLength(CheckpointPath.MaxInputLength);

        builder.HasIndex(s => s.SessionId);
    }
}
