using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Persistence.Configurations;

internal sealed class TrainingRunConfiguration : IEntityTypeConfiguration<TrainingRun>
{
    public void Configure(EntityTypeBuilder<TrainingRun> builder)
    {
        builder.ToTable("TrainingRuns");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.BaseModel).IsRequired();
        builder.Property(r => r.Owner).IsRequired().HasMaxLength(Identifier.MaxLength);
        builder.Property(r => r.UserMetadata)
            .HasConversion(JsonColumn.DictionaryConverter, JsonColumn.DictionaryComparer)
            .IsRequired();

        // LoRA settings are a value object: plain columns on the run row.
        builder.ComplexProperty(r => r.Lora, lora =>
        {
            lora.Property(l => l.Rank).HasColumnName("LoraRank");
            lora.Property(l => l.Seed).HasColumnName("LoraSeed");
            lora.Property(l => l.TrainAttn).HasColumnName("LoraTrainAttn");
            lora.Property(l => l.TrainMlp).HasColumnName("LoraTrainMlp");
            lora.Property(l => l.TrainUnembed).HasColumnName("LoraTrainUnembed");
            lora.Property(l => l.Alpha).HasColumnName("LoraAlpha");
        });

        // list_training_runs: an owner's runs, most recently used first.
        builder.HasIndex(r => new { r.Owner, r.LastRequestTime });
        builder.HasIndex(r => r.SessionId);
    }
}
