using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

/// <summary>
/// Analytic LoRA gradients against float32 central differences along random directions, one direction per LoRA
/// tensor, on small random models whose sizes are not multiples of the vector width (tails), with GQA ratios 1 and 3,
/// nq·hd ≠ H, tied and untied heads (the latter with LoRA on lm_head).
/// </summary>
public sealed class FiniteDifferenceGradientTests
{
    public static TheoryData<string> Configs() => ["odd-gqa3-untied", "odd-mha-tied"];

    private static (Qwen3Config Config, bool Unembed) Make(string name) => name switch
    {
        "odd-gqa3-untied" => (new Qwen3Config
        {
            VocabSize = 37,
            HiddenSize = 13,
            IntermediateSize = 21,
            NumLayers = 2,
            NumHeads = 3,
            NumKvHeads = 1,
            HeadDim = 6,
            RopeTheta = 10000,
            TieWordEmbeddings = false,
            MaxPositionEmbeddings = 64,
        }, true),
        _ => (new Qwen3Config
        {
            VocabSize = 29,
            HiddenSize = 11,
            IntermediateSize = 19,
            NumLayers = 2,
            NumHeads = 2,
            NumKvHeads = 2,
            HeadDim = 10,
            RopeTheta = 500,
            TieWordEmbeddings = true,
            MaxPositionEmbeddings = 64,
        }, false),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Directional_derivatives_match_central_differences(string name)
    {
        var (config, unembed) = Make(name);
        var weights = BuiltInModels.Generate(config, 5);
        var rng = new Xoshiro256StarStar(17);
        foreach (var layer in weights.Layers)
        {
            foreach (var norm in new[] { layer.InputNorm, layer.PostAttentionNorm, layer.QNorm, layer.KNorm })
            {
                for (var i = 0; i < norm.Length; i++)
                {
                    norm[i] = 1f + (0.2f * (float)rng.NextGaussian());
                }
            }
        }

        // Scale the embedding up so logits are not all ~0 (a flat softmax hides errors).
        for (var i = 0; i < weights.Embed.Length; i++)
        {
            weights.Embed[i] *= 30;
        }

        var adapter = LoraAdapter.Create(config, new LoraSettings(3, 6, 9, true, true, unembed));
        foreach (var m in adapter.Modules)
        {
            for (var i = 0; i < m.B.Length; i++)
            {
                m.B[i] = 0.3f * (float)rng.NextGaussian();
            }
        }

        var datums = new[] { 7, 11, 5 }.Select(len =>
        {
            var seq = Enumerable.Range(0, len + 1).Select(_ => (int)(rng.NextUInt64() % (ulong)config.VocabSize)).ToArray();
            var n = len;
            return new Datum(seq[..n], new Dictionary<string, TensorData>
            {
                ["target_tokens"] = TensorData.FromInts([.. seq[1..].Select(t => (long)t)]),
                ["weights"] = TensorData.FromFloats([.. Enumerable.Range(0, n).Select(i => i == 0 ? 0f : 1f + (0.5f * (i % 3)))]),
                ["advantages"] = TensorData.FromFloats([.. Enumerable.Range(0, n).Select(i => (float)rng.NextGaussian())]),
                ["logprobs"] = TensorData.FromFloats([.. Enumerable.Range(0, n).Select(_ => -3.5f)]),
            });
        }).ToList();

        foreach (var lossFn in new[] { LossFunctions.CrossEntropy, LossFunctions.ImportanceSampling })
        {
            var batch = new ForwardBackwardBatch(datums, lossFn, new Dictionary<string, double>());
            double Loss()
            {
                var ev = LossEvaluator.Create(batch, config);
                var lp = Qwen3Engine.Run(weights, adapter, ev.Packed, ev.Targets, null);
                for (var r = 0; r < lp.Length; r++)
                {
                    ev.Evaluate(r, lp[r]);
                }

                return ev.ElementwiseLoss.Sum();
            }

            adapter.ZeroGradients();
            var evaluator = LossEvaluator.Create(batch, config);
            Qwen3Engine.Run(weights, adapter, evaluator.Packed, evaluator.Targets, evaluator.Evaluate);
            var checkedTensors = 0;
            foreach (var m in adapter.Modules)
            {
                foreach (var (theta, grad, label) in new[] { (m.A, m.GradA!, m.KeyA), (m.B, m.GradB!, m.KeyB) })
                {
                    var direction = theta.Select(_ => (float)rng.NextGaussian()).ToArray();
                    var scale = 1.0 / Math.Sqrt(direction.Sum(d => (double)d * d));
                    var analytic = 0.0;
                    for (var i = 0; i < theta.Length; i++)
                    {
                        direction[i] = (float)(direction[i] * scale);
                        analytic += (double)grad[i] * direction[i];
                    }

                    const double eps = 2e-3;
                    var original = (float[])theta.Clone();
                    Shift(theta, original, direction, eps);
                    var plus = Loss();
                    Shift(theta, original, direction, -eps);
                    var minus = Loss();
                    original.CopyTo(theta, 0);
                    var numeric = (plus - minus) / (2 * eps);
                    var gradNorm = Math.Sqrt(grad.Sum(g => (double)g * g));
                    Math.Abs(numeric - analytic).Should().BeLessThan(
                        (2e-2 * Math.Abs(analytic)) + (2e-3 * gradNorm) + 2e-3,
                        $"{name} {lossFn} {label}: analytic {analytic}, numeric {numeric}");
                    checkedTensors++;
                }
            }

            checkedTensors.Should().Be(2 * ((7 * config.NumLayers) + (unembed ? 1 : 0)));
        }
    }

    private static void Shift(float[] theta, float[] original, float[] direction, double eps)
    {
        for (var i = 0; i < theta.Length; i++)
        {
            theta[i] = (float)(original[i] + (eps * direction[i]));
        }
    }
}
