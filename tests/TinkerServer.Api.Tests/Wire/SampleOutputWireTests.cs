using System.Text.Json;
using TinkerServer.Api.Wire.Sampling;
using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Api.Tests.Wire;

public class SampleOutputWireTests
{
    // sequences [{LENGTH, tokens [7], logprobs [-0.25]}], prompt_logprobs [NaN, -1.0],
    // topk rows [null, [(5, -0.5)]] → k 1, N 2 with a filler cell; written by hand.
    private const string GoldenSampleHex = """
        0A 0E                        # 1 sequences, SampledSequence (LEN 14)
          08 01                      #   1 stop_reason STOP_REASON_LENGTH
          12 04 07000000             #   2 tokens: int32 LE 7
          1A 04 000080BE             #   3 logprobs: float32 LE -0.25
        12 08 0000C0FF 000080BF      # 2 prompt_logprobs: float32 LE NaN (.NET's float.NaN bits), -1.0
        1A 18                        # 3 topk_prompt_logprobs (LEN 24)
          0A 08 00000000 05000000    #   1 token_ids: filler 0, then 5
          12 08 804FC3C7 000000BF    #   2 logprobs: filler -99999.0, then -0.5
          18 01                      #   3 k 1
          20 02                      #   4 prompt_length 2
        """;

    private static SampleOutput GoldenSample() => new(
        [new SampledSequence(StopReason.Length, [7], [-0.25f])],
        [float.NaN, -1.0f],
        [null, [new TokenLogprob(5, -0.5f)]]);

    private static byte[] Golden() =>
        SdkWire.Hex(string.Join('\n', GoldenSampleHex.Split('\n').Select(line => line.Split('#')[0])));

    private static SampleOutput RichSample() => new(
        [
            new SampledSequence(StopReason.Stop, [11, 12, 13], [-0.5f, -1.5f, -0.125f]),
            new SampledSequence(StopReason.Length, [151_000, 0], [-3f, -4f]),
        ],
        [float.NaN, -2.25f, -0.75f, -9f],
        [
            null,
            [new TokenLogprob(3, -0.1f), new TokenLogprob(4, -2.4f), new TokenLogprob(9, -3f)],
            [new TokenLogprob(7, -0.01f)],
            [new TokenLogprob(0, -5f), new TokenLogprob(1, -6f)],
        ]);

    [Fact]
    public void Golden_sample_is_encoded_byte_for_byte()
    {
        SampleOutputWire.ToProtobuf(GoldenSample()).Should().Equal(Golden());
    }

    [Fact]
    public void Sdk_decodes_the_sample_with_nan_and_filler_cells_in_place()
    {
        var sample = RichSample();
        var bytes = SampleOutputWire.ToProtobuf(sample);

        var proto = Protos.TinkerPublic.SampleResponse.Parser.ParseFrom(bytes);
        proto.TopkPromptLogprobs.K.Should().Be(3);
        proto.TopkPromptLogprobs.PromptLength.Should().Be(4);
        SdkWire.Int32s(proto.TopkPromptLogprobs.TokenIds.ToByteArray()).Should().Equal(0, 0, 0, 3, 4, 9, 7, 0, 0, 0, 1, 0);
        SdkWire.Floats(proto.TopkPromptLogprobs.Logprobs.ToByteArray()).Should()
            .Equal(-99999f, -99999f, -99999f, -0.1f, -2.4f, -3f, -0.01f, -99999f, -99999f, -5f, -6f, -99999f);

        var decoded = SdkWire.DecodeSampleResponse(bytes);
        decoded.Sequences.Should().BeEquivalentTo(sample.Sequences);
        float.IsNaN(decoded.PromptLogprobs![0]).Should().BeTrue();
        decoded.PromptLogprobs[1..].Should().Equal(-2.25f, -0.75f, -9f);
        decoded.TopkPromptLogprobs.Should().BeEquivalentTo(sample.TopkPromptLogprobs, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Unrequested_prompt_logprobs_and_topk_are_absent()
    {
        var sample = new SampleOutput([new SampledSequence(StopReason.Stop, [1, 2], [])], null, null);

        var proto = Protos.TinkerPublic.SampleResponse.Parser.ParseFrom(SampleOutputWire.ToProtobuf(sample));

        proto.HasPromptLogprobs.Should().BeFalse();
        proto.TopkPromptLogprobs.Should().BeNull();
        proto.Sequences[0].HasLogprobs.Should().BeFalse();
        SdkWire.DecodeSampleResponse(SampleOutputWire.ToProtobuf(sample)).Should().BeEquivalentTo(sample);
    }

    [Fact]
    public void Json_sample_has_the_older_sdk_shape_with_null_for_undefined_values()
    {
        var json = JsonSerializer.SerializeToNode(SampleOutputWire.ToJson(RichSample()))!.AsObject();

        json["type"]!.GetValue<string>().Should().Be("sample");
        json["prompt_cache_hit_tokens"]!.GetValue<int>().Should().Be(0);
        var sequences = json["sequences"]!.AsArray();
        sequences[0]!["stop_reason"]!.GetValue<string>().Should().Be("stop");
        sequences[1]!["stop_reason"]!.GetValue<string>().Should().Be("length");
        sequences[1]!["tokens"]!.AsArray().Select(n => n!.GetValue<int>()).Should().Equal(151_000, 0);
        sequences[0]!["logprobs"]!.AsArray().Select(n => n!.GetValue<float>()).Should().Equal(-0.5f, -1.5f, -0.125f);
        var prompt = json["prompt_logprobs"]!.AsArray();
        prompt[0].Should().BeNull();
        prompt[1]!.GetValue<float>().Should().Be(-2.25f);
        var topk = json["topk_prompt_logprobs"]!.AsArray();
        topk[0].Should().BeNull();
        topk[1]!.ToJsonString().Should().Be("[[3,-0.1],[4,-2.4],[9,-3]]");
        topk[3]!.ToJsonString().Should().Be("[[0,-5],[1,-6]]");
    }

    [Fact]
    public void Json_sample_omits_unrequested_fields()
    {
        var text = JsonSerializer.Serialize(SampleOutputWire.ToJson(new SampleOutput([new SampledSequence(StopReason.Stop, [1], [-1f])], null, null)));

        text.Should().NotContain("prompt_logprobs").And.Contain("\"sequences\":[{\"stop_reason\":\"stop\",\"tokens\":[1],\"logprobs\":[-1]}]");
    }

    [Fact]
    public void Empty_topk_request_encodes_without_failing()
    {
        var sample = new SampleOutput([], [], []);

        var proto = Protos.TinkerPublic.SampleResponse.Parser.ParseFrom(SampleOutputWire.ToProtobuf(sample));

        proto.TopkPromptLogprobs.K.Should().Be(0);
        proto.TopkPromptLogprobs.PromptLength.Should().Be(0);
    }
}
