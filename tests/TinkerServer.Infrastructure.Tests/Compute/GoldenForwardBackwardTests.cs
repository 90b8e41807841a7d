using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class GoldenForwardBackwardTests
{
    private static readonly Qwen3TinyFixture Fixture = Qwen3TinyFixture.Instance;

    public static TheoryData<string> Cases() => [.. Fixture.LossCases().Select(c => c.Name)];

    [Fact]
    public void Target_logprobs_match_the_goldens()
    {
        var batch = Fixture.LossCases().First().Batch;
        var evaluator = LossEvaluator.Create(batch, Fixture.Weights.Config);
        var lp = Qwen3Engine.Run(Fixture.Weights, Fixture.LoadAdapter(), evaluator.Packed, evaluator.Targets, null);

        var expected = Fixture.Expected.GetProperty("logprobs").EnumerateArray().SelectMany(Qwen3TinyFixture.Doubles).ToArray();
        lp.Should().HaveCount(expected.Length);
        MaxAbsDiff(lp, expected).Should().BeLessThan(1e-4);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_elementwise_loss_and_gradients_match_the_goldens(string name)
    {
        var batch = Fixture.LossCases().Single(c => c.Name == name).Batch;
        var adapter = Fixture.LoadAdapter();
        var evaluator = LossEvaluator.Create(batch, Fixture.Weights.Config);
        var lp = Qwen3Engine.Run(Fixture.Weights, adapter, evaluator.Packed, evaluator.Targets, evaluator.Evaluate);
        var output = evaluator.BuildOutput(lp);

        var golden = Fixture.Expected.GetProperty("cases").GetProperty(name);
        var expectedElementwise = golden.GetProperty("elementwise_loss").EnumerateArray().Select(Qwen3TinyFixture.Doubles).ToArray();
        var sumAbs = expectedElementwise.SelectMany(e => e).Sum(Math.Abs);
        output.Metrics["loss:sum"].Should().BeApproximately(golden.GetProperty("loss_sum").GetDouble(), 1e-5 * Math.Max(1, sumAbs));
        for (var d = 0; d < expectedElementwise.Length; d++)
        {
            var actual = output.LossFnOutputs[d]["elementwise_loss"].Floats!;
            for (var t = 0; t < actual.Length; t++)
            {
                var e = expectedElementwise[d][t];
                Math.Abs(actual[t] - e).Should().BeLessThanOrEqualTo(1e-4 * Math.Max(1, Math.Abs(e)), $"datum {d} token {t}");
            }
        }

        using var grads = Qwen3TinyFixture.OpenTensors($"grads_{name}.safetensors");
        foreach (var m in adapter.Modules)
        {
            AssertMaxNormClose(m.GradA!, grads.ReadFloat32(m.KeyA), m.KeyA);
            AssertMaxNormClose(m.GradB!, grads.ReadFloat32(m.KeyB), m.KeyB);
        }
    }

    [Theory]
    [InlineData("ppo", "ppo")]
    [InlineData("cispo", "cispo_onesided")]
    public void Omitted_clip_thresholds_take_the_documented_defaults(string lossFn, string goldenCase)
    {
        var batch = Fixture.LossCases().First().Batch with { LossFn = lossFn, LossFnConfig = new Dictionary<string, double>() };
        var evaluator = LossEvaluator.Create(batch, Fixture.Weights.Config);
        var lp = Qwen3Engine.Run(Fixture.Weights, Fixture.LoadAdapter(), evaluator.Packed, evaluator.Targets, evaluator.Evaluate);
        evaluator.BuildOutput(lp).Metrics["loss:sum"].Should().BeApproximately(
            Fixture.Expected.GetProperty("cases").GetProperty(goldenCase).GetProperty("loss_sum").GetDouble(), 2e-3);
    }

    [Fact]
    public void Gradients_accumulate_across_calls_until_cleared()
    {
        var batch = Fixture.LossCases().First().Batch;
        var adapter = Fixture.LoadAdapter();
        var evaluator = LossEvaluator.Create(batch, Fixture.Weights.Config);
        Qwen3Engine.Run(Fixture.Weights, adapter, evaluator.Packed, evaluator.Targets, evaluator.Evaluate);
        var once = adapter.Modules.First().GradA!.ToArray();
        Qwen3Engine.Run(Fixture.Weights, adapter, evaluator.Packed, evaluator.Targets, evaluator.Evaluate);
        var twice = adapter.Modules.First().GradA!;
        for (var i = 0; i < once.Length; i++)
        {
            twice[i].Should().BeApproximately(2 * once[i], 1e-5f * Math.Max(1, Math.Abs(once[i])));
        }

        adapter.ZeroGradients();
        adapter.Modules.First().GradA!.Should().OnlyContain(v => v == 0);
    }

    internal static void AssertMaxNormClose(float[] actual, float[] expected, string what)
    {
        actual.Should().HaveCount(expected.Length);
        var maxRef = expected.Max(Math.Abs);
        var maxDiff = 0.0;
        for (var i = 0; i < actual.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
        }

        maxDiff.Should().BeLessThanOrEqualTo(1e-3 * maxRef, what);
    }

    internal static double MaxAbsDiff(float[] actual, double[] expected)
    {
        var max = 0.0;
        for (var i = 0; i < actual.Length; i++)
        {
            max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        }

        return max;
    }
}
