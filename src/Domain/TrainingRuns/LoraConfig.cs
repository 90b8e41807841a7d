using TinkerServer.Domain.Common;

namespace TinkerServer.Domain.TrainingRuns;

/// <summary>The LoRA settings of a training run, as create_model receives them.</summary>
public sealed record LoraConfig(int Rank, long Seed, bool TrainAttn, bool TrainMlp, bool TrainUnembed, double Alpha)
{
    public const int MaxRank = 1024;

    /// <summary>Tinker's (and SkyRL's) default scaling numerator.</summary>
    public const double DefaultAlpha = 32.0;

    public static LoraConfig Create(int rank, long seed, bool trainAttn = true, bool trainMlp = true, bool trainUnembed = true, double alpha = DefaultAlpha)
    {
        if (rank is < 1 or > MaxRank)
        {
            throw new DomainRuleViolationException($"LoRA rank must be between 1 and {MaxRank}, got {rank}.");
        }

        if (!trainAttn && !trainMlp && !trainUnembed)
        {
            throw new DomainRuleViolationException("At least one of train_attn, train_mlp and train_unembed must be true.");
        }

        return new LoraConfig(rank, seed, trainAttn, trainMlp, trainUnembed, alpha);
    }
}
