using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>
/// Tinker's losses, summed over tokens, with the "safe mask": elementwise_loss = w·ℓ where w ≠ 0, exactly 0
/// otherwise. Missing weights default to 1. Each per-token loss depends only on that token's target logprob,
/// so the head evaluates it (and d loss / d logprob) as soon as the logprob is known.
/// </summary>
internal sealed class LossEvaluator
{
    private readonly string _lossFn;
    private readonly double _clipLow;
    private readonly double _clipHigh;
    private readonly double _deltaLow;
    private readonly double _deltaHigh;
    private readonly int[] _rowDatum;
    private readonly int[] _rowPosition;
    private readonly float[][] _weights;
    private readonly float[]?[] _samplingLogprobs;
    private readonly float[]?[] _advantages;

    private LossEvaluator(ForwardBackwardBatch batch, PackedBatch packed, int[] targets, float[][] weights, float[]?[] samplingLogprobs, float[]?[] advantages)
    {
        _lossFn = batch.LossFn;
        var config = batch.LossFnConfig;
        var (low, high) = DefaultClip(_lossFn);
        _clipLow = Get(config, "clip_low_threshold", low);
        _clipHigh = Get(config, "clip_high_threshold", high);
        _deltaLow = Get(config, "delta_low", 0.2);
        _deltaHigh = Get(config, "delta_high", 0.2);
        Packed = packed;
        Targets = targets;
        _weights = weights;
        _samplingLogprobs = samplingLogprobs;
        _advantages = advantages;
        _rowDatum = new int[packed.TotalTokens];
        _rowPosition = new int[packed.TotalTokens];
        for (var d = 0; d < packed.Count; d++)
        {
            for (var p = 0; p < packed.Lengths[d]; p++)
            {
                _rowDatum[packed.Starts[d] + p] = d;
                _rowPosition[packed.Starts[d] + p] = p;
            }
        }

        ElementwiseLoss = new double[packed.TotalTokens];
    }

    /// <summary>
    /// Longest sequence forward/forward_backward accept: attention materialises T×T probabilities per head
    /// (about 256 MB at this length), so longer sequences would need a tiled attention kernel.
    /// </summary>
    public const int MaxSequenceLength = 8192;

    public PackedBatch Packed { get; }

    public int[] Targets { get; }

    /// <summary>Per packed row, filled in as the head evaluates rows.</summary>
    public double[] ElementwiseLoss { get; }

    /// <summary>Validates the batch against the model and builds the evaluator (user errors become InvalidComputeRequestException).</summary>
    public static LossEvaluator Create(ForwardBackwardBatch batch, Qwen3Config config)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.LossFn is null || !LossFunctions.Supported.Contains(batch.LossFn))
        {
            throw new InvalidComputeRequestException(
                $"Unknown loss_fn '{batch.LossFn}'; supported: {string.Join(", ", LossFunctions.Supported.Order(StringComparer.Ordinal))}.");
        }

        if (batch.Data is null || batch.LossFnConfig is null || batch.Data.Any(d => d?.ModelInput is null || d.LossFnInputs is null))
        {
            throw new InvalidComputeRequestException("The batch is incomplete: every datum needs model_input and loss_fn_inputs.");
        }

        var allowedKeys = LossFunctions.ConfigKeys(batch.LossFn);
        foreach (var (key, value) in batch.LossFnConfig)
        {
            if (!allowedKeys.Contains(key))
            {
                throw new InvalidComputeRequestException($"loss_fn_config key '{key}' is not accepted by loss_fn '{batch.LossFn}'.");
            }

            if (!double.IsFinite(value))
            {
                throw new InvalidComputeRequestException($"loss_fn_config '{key}' must be a finite number.");
            }
        }

        var (defaultLow, defaultHigh) = DefaultClip(batch.LossFn);
        if (batch.LossFn is LossFunctions.Ppo or LossFunctions.Cispo
            && Get(batch.LossFnConfig, "clip_low_threshold", defaultLow) > Get(batch.LossFnConfig, "clip_high_threshold", defaultHigh))
        {
            throw new InvalidComputeRequestException("clip_low_threshold must not exceed clip_high_threshold.");
        }

        if (batch.Data.Count == 0)
        {
            throw new InvalidComputeRequestException("The batch holds no datums.");
        }

        var needsRl = batch.LossFn != LossFunctions.CrossEntropy;
        var sequences = new List<int[]>(batch.Data.Count);
        var targets = new List<int>();
        var weights = new float[batch.Data.Count][];
        var sampling = new float[]?[batch.Data.Count];
        var advantages = new float[]?[batch.Data.Count];
        for (var d = 0; d < batch.Data.Count; d++)
        {
            var datum = batch.Data[d];
            var n = datum.ModelInput.Length;
            if (n == 0)
            {
                throw new InvalidComputeRequestException($"Datum {d} has an empty model_input.");
            }

            if (n > config.MaxPositionEmbeddings)
            {
                throw new InvalidComputeRequestException($"Datum {d} has {n} tokens; the model's context is {config.MaxPositionEmbeddings}.");
            }

            if (n > MaxSequenceLength)
            {
                throw new InvalidComputeRequestException($"Datum {d} has {n} tokens; this backend trains on sequences of at most {MaxSequenceLength} tokens.");
            }

            CheckTokens(datum.ModelInput, config.VocabSize, $"Datum {d} model_input");
            if (!datum.LossFnInputs.TryGetValue("target_tokens", out var targetTensor))
            {
                throw new InvalidComputeRequestException($"Datum {d} lacks loss_fn_inputs.target_tokens.");
            }

            var datumTargets = targetTensor.ToInt64Array();
            CheckLength(datumTargets.Length, n, d, "target_tokens");
            foreach (var t in datumTargets)
            {
                if (t < 0 || t >= config.VocabSize)
                {
                    throw new InvalidComputeRequestException($"Datum {d} target token {t} is outside the vocabulary [0, {config.VocabSize}).");
                }

                targets.Add((int)t);
            }

            if (targetTensor.DType == TensorDType.Float32 && targetTensor.Floats!.Any(f => f != MathF.Round(f)))
            {
                throw new InvalidComputeRequestException($"Datum {d} target_tokens must be integers.");
            }

            weights[d] = datum.LossFnInputs.TryGetValue("weights", out var w) ? Floats(w, n, d, "weights") : Enumerable.Repeat(1f, n).ToArray();
            if (needsRl)
            {
                sampling[d] = datum.LossFnInputs.TryGetValue("logprobs", out var lp)
                    ? Floats(lp, n, d, "logprobs")
                    : throw new InvalidComputeRequestException($"loss_fn '{batch.LossFn}' needs loss_fn_inputs.logprobs (datum {d}).");
                advantages[d] = datum.LossFnInputs.TryGetValue("advantages", out var adv)
                    ? Floats(adv, n, d, "advantages")
                    : throw new InvalidComputeRequestException($"loss_fn '{batch.LossFn}' needs loss_fn_inputs.advantages (datum {d}).");
            }

            sequences.Add(datum.ModelInput);
        }

        return new LossEvaluator(batch, new PackedBatch(sequences), [.. targets], weights, sampling, advantages);
    }

    public static void CheckTokens(int[] tokens, int vocab, string what)
    {
        foreach (var t in tokens)
        {
            if (t < 0 || t >= vocab)
            {
                throw new InvalidComputeRequestException($"{what}: token {t} is outside the vocabulary [0, {vocab}).");
            }
        }
    }

    /// <summary>Records the elementwise loss of a row and returns d loss / d logprob. Thread-safe per row.</summary>
    public float Evaluate(int row, float logprob)
    {
        var d = _rowDatum[row];
        var p = _rowPosition[row];
        var w = (double)_weights[d][p];
        if (w == 0)
        {
            ElementwiseLoss[row] = 0;
            return 0f;
        }

        double lp = logprob;
        double loss;
        double grad;
        switch (_lossFn)
        {
            case LossFunctions.CrossEntropy:
                loss = -lp;
                grad = -1;
                break;
            default:
                {
                    var lpS = (double)_samplingLogprobs[d]![p];
                    var a = (double)_advantages[d]![p];
                    (loss, grad) = _lossFn switch
                    {
                        LossFunctions.ImportanceSampling => ImportanceSampling(lp, lpS, a),
                        LossFunctions.Ppo => Ppo(lp, lpS, a),
                        LossFunctions.Cispo => Cispo(lp, lpS, a),
                        _ => Dppo(lp, lpS, a),
                    };
                    break;
                }
        }

        ElementwiseLoss[row] = w * loss;
        return (float)(w * grad);
    }

    /// <summary>Per-datum outputs (logprobs, elementwise_loss) and metrics, after the head has run.</summary>
    public ForwardBackwardOutput BuildOutput(float[] logprobs)
    {
        var outputs = new List<IReadOnlyDictionary<string, TensorData>>(Packed.Count);
        double total = 0;
        var weighted = 0;
        for (var d = 0; d < Packed.Count; d++)
        {
            var n = Packed.Lengths[d];
            var lp = new float[n];
            var el = new float[n];
            for (var p = 0; p < n; p++)
            {
                var row = Packed.Starts[d] + p;
                lp[p] = logprobs[row];
                el[p] = (float)ElementwiseLoss[row];
                total += ElementwiseLoss[row];
                if (_weights[d][p] != 0)
                {
                    weighted++;
                }
            }

            outputs.Add(new Dictionary<string, TensorData>(StringComparer.Ordinal)
            {
                ["logprobs"] = TensorData.FromFloats(lp),
                ["elementwise_loss"] = TensorData.FromFloats(el),
            });
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["loss:sum"] = total,
            ["num_tokens:sum"] = Packed.TotalTokens,
            ["num_loss_tokens:sum"] = weighted,
        };
        return new ForwardBackwardOutput("scalar", outputs, metrics);
    }

    private static (double Loss, double Grad) ImportanceSampling(double lp, double lpS, double a)
    {
        var r = Math.Exp(lp - lpS);
        return (-r * a, -a * r);
    }

    private (double Loss, double Grad) Ppo(double lp, double lpS, double a)
    {
        var r = Math.Exp(lp - lpS);
        var unclipped = r * a;
        var clipped = Math.Clamp(r, _clipLow, _clipHigh) * a;
        // The gradient flows only when the unclipped term is the active minimum.
        return unclipped <= clipped ? (-unclipped, -a * r) : (-clipped, 0);
    }

    private (double Loss, double Grad) Cispo(double lp, double lpS, double a)
    {
        // The clipped ratio is a constant (stop-gradient): d/dlp of −c·lp·A is −c·A.
        var clipped = Math.Clamp(Math.Exp(lp - lpS), _clipLow, _clipHigh);
        return (-clipped * lp * a, -clipped * a);
    }

    private (double Loss, double Grad) Dppo(double lp, double lpS, double a)
    {
        var logRatio = lp - lpS;
        var r = Math.Exp(Math.Clamp(logRatio, -20, 20));
        var p = Math.Exp(lp);
        var mu = Math.Exp(lpS);
        var masked = (a > 0 && p - mu > _deltaHigh) || (a < 0 && mu - p > _deltaLow);
        if (masked)
        {
            return (0, 0);
        }

        var grad = Math.Abs(logRatio) > 20 ? 0 : -a * r;
        return (-r * a, grad);
    }

    /// <summary>
    /// Clip defaults when loss_fn_config omits them: PPO 0.8/1.2 (everywhere); CISPO one-sided 0.0/4.0 as the
    /// Tinker cookbook documents it (SkyRL's JAX backend uses 0.8/1.2; clients can always pass thresholds).
    /// </summary>
    public static (double Low, double High) DefaultClip(string lossFn) => lossFn == LossFunctions.Cispo ? (0.0, 4.0) : (0.8, 1.2);

    private static double Get(IReadOnlyDictionary<string, double> config, string key, double fallback) =>
        config.TryGetValue(key, out var v) ? v : fallback;

    private static void CheckLength(int length, int expected, int datum, string name)
    {
        if (length != expected)
        {
            throw new InvalidComputeRequestException($"Datum {datum} loss_fn_inputs.{name} has {length} entries; model_input has {expected}.");
        }
    }

    private static float[] Floats(TensorData tensor, int n, int datum, string name)
    {
        CheckLength(tensor.Length, n, datum, name);
        var values = tensor.ToFloatArray();
        if (values.Any(v => !float.IsFinite(v)))
        {
            throw new InvalidComputeRequestException($"Datum {datum} loss_fn_inputs.{name} must hold finite numbers.");
        }

        return values;
    }
}
