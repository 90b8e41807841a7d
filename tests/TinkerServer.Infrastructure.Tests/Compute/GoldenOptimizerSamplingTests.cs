using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class GoldenOptimizerSamplingTests
{
    private static readonly Qwen3TinyFixture Fixture = Qwen3TinyFixture.Instance;

    private static AdamParams FixtureAdam()
    {
        var h = Fixture.Expected.GetProperty("adamw").GetProperty("hyperparameters");
        return new AdamParams(
            h.GetProperty("learning_rate").GetDouble(),
            h.GetProperty("beta1").GetDouble(),
            h.GetProperty("beta2").GetDouble(),
            h.GetProperty("eps").GetDouble(),
            h.GetProperty("weight_decay").GetDouble());
    }

    private static void LoadGradients(LoraAdapter adapter, string file)
    {
        using var grads = Qwen3TinyFixture.OpenTensors(file);
        foreach (var m in adapter.Modules)
        {
            grads.ReadFloat32(m.KeyA).CopyTo(m.EnsureGradA(), 0);
            grads.ReadFloat32(m.KeyB).CopyTo(m.EnsureGradB(), 0);
        }
    }

    private static void AssertParams(LoraAdapter adapter, string file, double tolerance)
    {
        using var expected = Qwen3TinyFixture.OpenTensors(file);
        foreach (var m in adapter.Modules)
        {
            foreach (var (actual, key) in new[] { (m.A, m.KeyA), (m.B, m.KeyB) })
            {
                var e = expected.ReadFloat32(key);
                for (var i = 0; i < e.Length; i++)
                {
                    ((double)Math.Abs(actual[i] - e[i])).Should().BeLessThanOrEqualTo(tolerance, $"{key}[{i}]");
                }
            }
        }
    }

    [Fact]
    public void Two_AdamW_steps_on_the_stored_gradients_match_the_goldens()
    {
        var adapter = Fixture.LoadAdapter();
        LoadGradients(adapter, "grads_cross_entropy.safetensors");
        var metrics = AdamW.Step(adapter, FixtureAdam());
        AssertParams(adapter, "adamw_step.safetensors", 1e-7);
        metrics["grad_norm:mean"].Should().BeApproximately(
            Fixture.Expected.GetProperty("cases").GetProperty("cross_entropy").GetProperty("grad_norm").GetDouble(), 1e-3);
        adapter.Modules.Should().OnlyContain(m => m.GradA!.All(v => v == 0) && m.GradB!.All(v => v == 0));

        LoadGradients(adapter, "adamw_step2_grads.safetensors");
        AdamW.Step(adapter, FixtureAdam());
        AssertParams(adapter, "adamw_step2.safetensors", 1e-7);
        adapter.Step.Should().Be(2);
    }

    [Fact]
    public void End_to_end_training_steps_reproduce_the_loss_decrease()
    {
        var adapter = Fixture.LoadAdapter();
        var batch = Fixture.LossCases().Single(c => c.Name == "cross_entropy").Batch;
        double Loss(bool backward)
        {
            var ev = LossEvaluator.Create(batch, Fixture.Weights.Config);
            var lp = Qwen3Engine.Run(Fixture.Weights, adapter, ev.Packed, ev.Targets, backward ? ev.Evaluate : null);
            if (!backward)
            {
                for (var r = 0; r < lp.Length; r++)
                {
                    ev.Evaluate(r, lp[r]);
                }
            }

            return ev.BuildOutput(lp).Metrics["loss:sum"];
        }

        Loss(true).Should().BeApproximately(176.182678, 2e-3);
        AdamW.Step(adapter, FixtureAdam());
        Loss(true).Should().BeApproximately(157.147199, 2e-3);
        AdamW.Step(adapter, FixtureAdam());
        Loss(false).Should().BeApproximately(140.163514, 2e-3);
    }

    [Fact]
    public void Gradient_clipping_scales_the_update_and_reports_the_unclipped_norm()
    {
        var clipped = Fixture.LoadAdapter();
        var plain = Fixture.LoadAdapter();
        LoadGradients(clipped, "grads_cross_entropy.safetensors");
        LoadGradients(plain, "grads_cross_entropy.safetensors");
        var norm = AdamW.Step(plain, FixtureAdam() with { Beta1 = 0, Beta2 = 0, Eps = 1e3 })["grad_norm:mean"];
        var metrics = AdamW.Step(clipped, FixtureAdam() with { Beta1 = 0, Beta2 = 0, Eps = 1e3, GradClipNorm = norm / 2 });
        metrics["grad_norm:mean"].Should().BeApproximately(norm, 1e-9 * norm);
        metrics["grad_scale:mean"].Should().BeApproximately(0.5, 1e-6);
    }

    [Fact]
    public void Greedy_sampling_with_prompt_logprobs_matches_the_goldens()
    {
        var adapter = Fixture.LoadAdapter();
        foreach (var prompt in Fixture.Sampling.GetProperty("prompts").EnumerateArray())
        {
            var tokens = prompt.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var input = new SampleInput(tokens, 1, new SamplingParams(12, 7, [], Temperature: 0), IncludePromptLogprobs: true, TopkPromptLogprobs: 3);
            var output = Generation.Sample(Fixture.Weights, adapter, input, CancellationToken.None);

            var seq = output.Sequences.Single();
            seq.Tokens.Should().Equal(prompt.GetProperty("completion_tokens").EnumerateArray().Select(e => e.GetInt32()));
            seq.StopReason.Should().Be(StopReason.Length);
            GoldenForwardBackwardTests.MaxAbsDiff(seq.Logprobs, Qwen3TinyFixture.Doubles(prompt.GetProperty("completion_logprobs"))).Should().BeLessThan(1e-4);

            var expectedPrompt = prompt.GetProperty("prompt_logprobs").EnumerateArray().ToArray();
            output.PromptLogprobs.Should().HaveCount(tokens.Length);
            float.IsNaN(output.PromptLogprobs![0]).Should().BeTrue();
            var expectedTopk = prompt.GetProperty("topk_prompt_logprobs").EnumerateArray().ToArray();
            output.TopkPromptLogprobs![0].Should().BeNull();
            for (var i = 1; i < tokens.Length; i++)
            {
                output.PromptLogprobs[i].Should().BeApproximately((float)expectedPrompt[i].GetDouble(), 1e-4f);
                var expectedRow = expectedTopk[i].EnumerateArray().Select(p => (Token: p[0].GetInt32(), Lp: p[1].GetDouble())).ToArray();
                var actualRow = output.TopkPromptLogprobs[i]!;
                actualRow.Select(t => t.Token).Should().Equal(expectedRow.Select(t => t.Token));
                for (var j = 0; j < expectedRow.Length; j++)
                {
                    actualRow[j].Logprob.Should().BeApproximately((float)expectedRow[j].Lp, 1e-4f);
                }
            }
        }
    }

    [Fact]
    public void Merged_weights_match_the_goldens_and_give_the_unmerged_logprobs()
    {
        var adapter = Fixture.LoadAdapter();
        var merged = LoraMerge.Merge(Fixture.Weights, adapter);
        using var expected = Qwen3TinyFixture.OpenTensors("merged_model.safetensors");
        foreach (var (name, _, data) in merged.Tensors())
        {
            var e = expected.ReadFloat32(name);
            for (var i = 0; i < e.Length; i++)
            {
                Math.Abs(data[i] - e[i]).Should().BeLessThanOrEqualTo(1e-6f, name);
            }
        }

        var batch = Fixture.LossCases().First().Batch;
        var ev = LossEvaluator.Create(batch, Fixture.Weights.Config);
        var unmerged = Qwen3Engine.Run(Fixture.Weights, adapter, ev.Packed, ev.Targets, null);
        var mergedLp = Qwen3Engine.Run(merged, null, ev.Packed, ev.Targets, null);
        var golden = Fixture.Expected.GetProperty("merged_check").GetProperty("merged_logprobs").EnumerateArray().SelectMany(Qwen3TinyFixture.Doubles).ToArray();
        GoldenForwardBackwardTests.MaxAbsDiff(mergedLp, golden).Should().BeLessThan(1e-4);
        GoldenForwardBackwardTests.MaxAbsDiff(unmerged, [.. mergedLp.Select(v => (double)v)]).Should().BeLessThan(1e-4);
    }
}
