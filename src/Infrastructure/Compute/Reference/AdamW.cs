using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>
/// AdamW as torch.optim.AdamW / optax.adamw (decoupled weight decay, bias correction, eps added to the
/// bias-corrected sqrt), on the raw summed gradients, with optional global-norm clipping. Zeroes the gradients.
/// </summary>
internal static class AdamW
{
    public static void Validate(AdamParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!double.IsFinite(p.LearningRate) || p.LearningRate < 0)
        {
            throw new InvalidComputeRequestException("learning_rate must be a finite number ≥ 0.");
        }

        if (!(p.Beta1 is >= 0 and < 1) || !(p.Beta2 is >= 0 and < 1))
        {
            throw new InvalidComputeRequestException("beta1 and beta2 must be in [0, 1).");
        }

        if (!double.IsFinite(p.Eps) || p.Eps < 0 || !double.IsFinite(p.WeightDecay) || p.WeightDecay < 0
            || !double.IsFinite(p.GradClipNorm) || p.GradClipNorm < 0)
        {
            throw new InvalidComputeRequestException("eps, weight_decay and grad_clip_norm must be finite numbers ≥ 0.");
        }
    }

    public static Dictionary<string, double> Step(LoraAdapter adapter, AdamParams p)
    {
        Validate(p);
        double sumSq = 0;
        foreach (var m in adapter.Modules)
        {
            sumSq += SumSquares(m.GradA) + SumSquares(m.GradB);
        }

        var norm = Math.Sqrt(sumSq);
        var scale = p.GradClipNorm > 0 ? Math.Min(1.0, p.GradClipNorm / (norm + 1e-6)) : 1.0;
        adapter.Step++;
        var t = adapter.Step;
        var bc1 = 1 - Math.Pow(p.Beta1, t);
        var bc2 = 1 - Math.Pow(p.Beta2, t);
        foreach (var m in adapter.Modules)
        {
            m.ExpAvgA ??= new float[m.A.Length];
            m.ExpAvgSqA ??= new float[m.A.Length];
            m.ExpAvgB ??= new float[m.B.Length];
            m.ExpAvgSqB ??= new float[m.B.Length];
            Update(m.A, m.GradA, m.ExpAvgA, m.ExpAvgSqA, p, scale, bc1, bc2);
            Update(m.B, m.GradB, m.ExpAvgB, m.ExpAvgSqB, p, scale, bc1, bc2);
        }

        adapter.ZeroGradients();
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["grad_norm:mean"] = norm,
            ["grad_scale:mean"] = scale,
            ["learning_rate:mean"] = p.LearningRate,
            ["step:max"] = t,
        };
    }

    private static double SumSquares(float[]? g)
    {
        if (g is null)
        {
            return 0;
        }

        double s = 0;
        foreach (var v in g)
        {
            s += (double)v * v;
        }

        return s;
    }

    private static void Update(float[] theta, float[]? grad, float[] expAvg, float[] expAvgSq, AdamParams p, double scale, double bc1, double bc2)
    {
        var decay = 1 - (p.LearningRate * p.WeightDecay);
        for (var i = 0; i < theta.Length; i++)
        {
            var g = grad is null ? 0.0 : grad[i] * scale;
            var m = (p.Beta1 * expAvg[i]) + ((1 - p.Beta1) * g);
            var v = (p.Beta2 * expAvgSq[i]) + ((1 - p.Beta2) * g * g);
            expAvg[i] = (float)m;
            expAvgSq[i] = (float)v;
            var update = p.LearningRate * (m / bc1) / (Math.Sqrt(v / bc2) + p.Eps);
            theta[i] = (float)((theta[i] * decay) - update);
        }
    }
}
