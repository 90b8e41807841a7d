using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Futures;

namespace TinkerServer.Application.Tests.Futures;

/// <summary>The results the engine stores must read back exactly when retrieve_future encodes them for the wire.</summary>
public sealed class StoredResultJsonTests
{
    [Fact]
    public void A_sample_result_round_trips_with_undefined_prompt_logprobs_and_top_k_rows()
    {
        var output = new SampleOutput(
            [new SampledSequence(StopReason.Stop, [5, 6], [-0.25f, -1.5f]), new SampledSequence(StopReason.Length, [7], [-3f])],
            [float.NaN, -0.5f, float.NegativeInfinity],
            [null, [new TokenLogprob(3, -0.1f), new TokenLogprob(9, -2f)], []]);

        var json = FutureJson.Serialize(output);
        var back = FutureJson.Deserialize<SampleOutput>(json);

        json.Should().Contain("\"stop_reason\":\"stop\"").And.Contain("\"NaN\"");
        back.Sequences.Should().BeEquivalentTo(output.Sequences, o => o.WithStrictOrdering());
        back.PromptLogprobs.Should().HaveCount(3);
        float.IsNaN(back.PromptLogprobs![0]).Should().BeTrue();
        back.PromptLogprobs[1].Should().Be(-0.5f);
        back.PromptLogprobs[2].Should().Be(float.NegativeInfinity);
        back.TopkPromptLogprobs![0].Should().BeNull();
        back.TopkPromptLogprobs[1].Should().Equal(new TokenLogprob(3, -0.1f), new TokenLogprob(9, -2f));
        back.TopkPromptLogprobs[2].Should().BeEmpty();
    }

    [Fact]
    public void A_forward_backward_result_round_trips_per_datum_in_order()
    {
        var output = new ForwardBackwardOutput(
            "TensorData",
            [
                new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromFloats([-1f, -2f]), ["elementwise_loss"] = TensorData.FromFloats([1f, 2f]) },
                new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromFloats([-3f], [1]) },
            ],
            new Dictionary<string, double> { ["loss:sum"] = 6 });

        var back = FutureJson.Deserialize<ForwardBackwardOutput>(FutureJson.Serialize(output));

        back.LossFnOutputType.Should().Be("TensorData");
        back.LossFnOutputs.Should().HaveCount(2);
        back.LossFnOutputs[0]["logprobs"].Floats.Should().Equal(-1f, -2f);
        back.LossFnOutputs[0]["elementwise_loss"].Floats.Should().Equal(1f, 2f);
        back.LossFnOutputs[1]["logprobs"].Shape.Should().Equal(1);
        back.Metrics.Should().Equal(new Dictionary<string, double> { ["loss:sum"] = 6 });
    }
}
