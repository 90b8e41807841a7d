namespace TinkerServer.Application.Abstractions.Compute;

/// <summary>
/// One training example: the input tokens and the loss inputs aligned with them
/// (target_tokens, weights, logprobs, advantages, ...; position i predicts token i+1).
/// </summary>
public sealed record Datum(int[] ModelInput, IReadOnlyDictionary<string, TensorData> LossFnInputs);

/// <summary>The loss functions Tinker defines (reduction: sum over tokens).</summary>
public static class LossFunctions
{
    public const string CrossEntropy = "cross_entropy";
    public const string ImportanceSampling = "importance_sampling";
    public const string Ppo = "ppo";
    public const string Cispo = "cispo";
    public const string Dppo = "dppo";

    public static readonly IReadOnlySet<string> Supported =
        new HashSet<string>(StringComparer.Ordinal) { CrossEntropy, ImportanceSampling, Ppo, Cispo, Dppo };

    /// <summary>loss_fn_config keys each loss accepts.</summary>
    public static IReadOnlySet<string> ConfigKeys(string lossFn) => lossFn switch
    {
        Ppo or Cispo => new HashSet<string>(StringComparer.Ordinal) { "clip_low_threshold", "clip_high_threshold" },
        Dppo => new HashSet<string>(StringComparer.Ordinal) { "delta_low", "delta_high" },
        _ => new HashSet<string>(StringComparer.Ordinal),
    };
}

/// <summary>A batch for forward or forward_backward: one loss function for all datums.</summary>
public sealed record ForwardBackwardBatch(
    IReadOnlyList<Datum> Data,
    string LossFn,
    IReadOnlyDictionary<string, double> LossFnConfig);

/// <summary>
/// Per-datum outputs in input order (each with "logprobs" and "elementwise_loss") and metrics whose keys
/// are "name:reduction" (e.g. "loss:sum").
/// </summary>
public sealed record ForwardBackwardOutput(
    string LossFnOutputType,
    IReadOnlyList<IReadOnlyDictionary<string, TensorData>> LossFnOutputs,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>Tinker's AdamParams: AdamW with decoupled weight decay; grad_clip_norm 0 = off.</summary>
public sealed record AdamParams(
    double LearningRate = 1e-4,
    double Beta1 = 0.9,
    double Beta2 = 0.95,
    double Eps = 1e-12,
    double WeightDecay = 0.0,
    double GradClipNorm = 0.0);

public sealed record OptimStepOutput(IReadOnlyDictionary<string, double> Metrics);
