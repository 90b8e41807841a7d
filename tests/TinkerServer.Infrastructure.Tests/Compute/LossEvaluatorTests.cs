using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class LossEvaluatorTests
{
    private static readonly Qwen3Config Config = Qwen3TinyFixture.Instance.Weights.Config;

    private static LossEvaluator Make(string lossFn, Dictionary<string, TensorData> inputs, Dictionary<string, double>? config = null) =>
        LossEvaluator.Create(new ForwardBackwardBatch([new Datum([1, 2, 3], inputs)], lossFn, config ?? []), Config);

    private static Dictionary<string, TensorData> Inputs(float[]? weights, float[] logprobs, float[] advantages)
    {
        var d = new Dictionary<string, TensorData>
        {
            ["target_tokens"] = TensorData.FromInts([2, 3, 4]),
            ["logprobs"] = TensorData.FromFloats(logprobs),
            ["advantages"] = TensorData.FromFloats(advantages),
        };
        if (weights is not null)
        {
            d["weights"] = TensorData.FromFloats(weights);
        }

        return d;
    }

    [Fact]
    public void Missing_weights_count_as_one()
    {
        var without = Make(LossFunctions.CrossEntropy, Inputs(null, [0, 0, 0], [0, 0, 0]));
        var with = Make(LossFunctions.CrossEntropy, Inputs([1, 1, 1], [0, 0, 0], [0, 0, 0]));
        without.Evaluate(1, -2.5f).Should().Be(with.Evaluate(1, -2.5f)).And.Be(-1f);
        without.ElementwiseLoss[1].Should().Be(2.5);
    }

    [Fact]
    public void Zero_weights_mask_even_huge_ratios()
    {
        var ev = Make(LossFunctions.ImportanceSampling, Inputs([0, 1, 1], [-50, 0, 0], [1, 1, 1]));
        ev.Evaluate(0, -1f).Should().Be(0f);
        ev.ElementwiseLoss[0].Should().Be(0);
    }

    [Fact]
    public void Ppo_clipped_tokens_carry_no_gradient_and_cispo_uses_the_clipped_ratio_as_a_constant()
    {
        var lpS = MathF.Log(0.5f);
        var ppo = Make(LossFunctions.Ppo, Inputs([1, 1, 1], [lpS, lpS, lpS], [1, -1, 1]));
        // r = 2 > 1.2 with A > 0: the clipped term is the minimum, so no gradient.
        ppo.Evaluate(0, 0f).Should().Be(0f);
        ppo.ElementwiseLoss[0].Should().BeApproximately(-1.2, 1e-6);
        // r = 2 with A < 0: the unclipped term is the minimum: gradient −A·r.
        ppo.Evaluate(1, 0f).Should().BeApproximately(2f, 1e-5f);

        var cispo = Make(LossFunctions.Cispo, Inputs([2, 1, 1], [lpS, lpS, lpS], [1, 1, 1]), new() { ["clip_low_threshold"] = 0.8, ["clip_high_threshold"] = 1.2 });
        cispo.Evaluate(0, 0f).Should().BeApproximately(-2 * 1.2f, 1e-5f);
    }

    [Fact]
    public void Dppo_masks_by_probability_gap_and_clamps_the_log_ratio()
    {
        var ev = Make(LossFunctions.Dppo, Inputs([1, 1, 1], [MathF.Log(0.1f), -30f, MathF.Log(0.9f)], [1, 1, -1]));
        // p = 0.5, μ = 0.1, A > 0: p − μ = 0.4 > 0.2 → masked.
        ev.Evaluate(0, MathF.Log(0.5f)).Should().Be(0f);
        ev.ElementwiseLoss[0].Should().Be(0);
        // log-ratio 25 is clamped to 20: loss −exp(20)·A, no gradient through the clamp.
        ev.Evaluate(1, -5f).Should().Be(0f);
        ev.ElementwiseLoss[1].Should().BeApproximately(-Math.Exp(20), 1);
        // μ = 0.9, p = 0.85, A < 0: μ − p = 0.05 ≤ 0.2 → kept, gradient −A·r.
        ev.Evaluate(2, MathF.Log(0.85f)).Should().BeApproximately(0.85f / 0.9f, 1e-5f);
    }

    [Fact]
    public void Sequences_beyond_the_training_limit_are_rejected()
    {
        var longConfig = Config with { MaxPositionEmbeddings = 20000 };
        Datum Of(int n) => new(new int[n], new Dictionary<string, TensorData> { ["target_tokens"] = TensorData.FromInts(new long[n]) });
        LossEvaluator.Create(new ForwardBackwardBatch([Of(LossEvaluator.MaxSequenceLength)], LossFunctions.CrossEntropy, new Dictionary<string, double>()), longConfig)
            .Packed.TotalTokens.Should().Be(LossEvaluator.MaxSequenceLength);
        var tooLong = () => LossEvaluator.Create(new ForwardBackwardBatch([Of(LossEvaluator.MaxSequenceLength + 1)], LossFunctions.CrossEntropy, new Dictionary<string, double>()), longConfig);
        tooLong.Should().Throw<InvalidComputeRequestException>().WithMessage("*at most*");
    }

    [Fact]
    public void Malformed_inputs_are_rejected()
    {
        var shortWeights = () => Make(LossFunctions.CrossEntropy, Inputs([1, 1], [0, 0, 0], [0, 0, 0]));
        shortWeights.Should().Throw<InvalidComputeRequestException>();
        var nanAdv = () => Make(LossFunctions.Ppo, Inputs(null, [0, 0, 0], [0, float.NaN, 0]));
        nanAdv.Should().Throw<InvalidComputeRequestException>();
        var badThresholds = () => Make(LossFunctions.Ppo, Inputs(null, [0, 0, 0], [0, 0, 0]), new() { ["clip_low_threshold"] = 1.5, ["clip_high_threshold"] = 1.2 });
        badThresholds.Should().Throw<InvalidComputeRequestException>();
        var noTargets = () => LossEvaluator.Create(new ForwardBackwardBatch([new Datum([1], new Dictionary<string, TensorData>())], LossFunctions.CrossEntropy, new Dictionary<string, double>()), Config);
        noTargets.Should().Throw<InvalidComputeRequestException>();
        var empty = () => LossEvaluator.Create(new ForwardBackwardBatch([new Datum([], new Dictionary<string, TensorData> { ["target_tokens"] = TensorData.FromInts([]) })], LossFunctions.CrossEntropy, new Dictionary<string, double>()), Config);
        empty.Should().Throw<InvalidComputeRequestException>();
        var fractional = () => LossEvaluator.Create(new ForwardBackwardBatch([new Datum([1], new Dictionary<string, TensorData> { ["target_tokens"] = TensorData.FromFloats([1.5f]) })], LossFunctions.CrossEntropy, new Dictionary<string, double>()), Config);
        fractional.Should().Throw<InvalidComputeRequestException>();
    }
}
