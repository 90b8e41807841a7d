using TinkerServer.Domain.Common;

namespace TinkerServer.Domain.Checkpoints;

/// <summary>Training checkpoints resume a run; sampler checkpoints are PEFT adapters for sampling.</summary>
public enum CheckpointType
{
    Training = 0,
    Sampler = 1,
}

public static class CheckpointTypes
{
    public const string TrainingKind = "weights";
    public const string SamplerKind = "sampler_weights";

    /// <summary>The path kind: "weights" or "sampler_weights".</summary>
    public static string ToKind(this CheckpointType type) => type switch
    {
        CheckpointType.Training => TrainingKind,
        CheckpointType.Sampler => SamplerKind,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The wire name: "training" or "sampler".</summary>
    public static string ToWireName(this CheckpointType type) => type switch
    {
        CheckpointType.Training => "training",
        CheckpointType.Sampler => "sampler",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryFromKind(ReadOnlySpan<char> kind, out CheckpointType type)
    {
        switch (kind)
        {
            case TrainingKind:
                type = CheckpointType.Training;
                return true;
            case SamplerKind:
                type = CheckpointType.Sampler;
                return true;
            default:
                type = default;
                return false;
        }
    }

    public static CheckpointType ParseWireName(string? value) => value switch
    {
        "training" => CheckpointType.Training,
        "sampler" => CheckpointType.Sampler,
        _ => throw new InvalidCheckpointPathException(
            $"Invalid checkpoint_type '{Identifier.Describe(value)}': expected 'training' or 'sampler'."),
    };
}
