using System.Text.Json;
using System.Text.Json.Nodes;
using TinkerServer.Api.Wire.Training;
using TinkerServer.Application.Abstractions.Compute;
using AppOutput = TinkerServer.Application.Abstractions.Compute.ForwardBackwardOutput;

namespace TinkerServer.Api.Tests.Wire;

public class ForwardBackwardOutputWireTests
{
    // Two datums, field "logprobs" float32 [-1.0] and [-0.5, -2.0], metric loss:sum = 1.5, written by hand.
    private const string GoldenOutputHex = """
        0A 0B 41727261795265636F7264               # 1 loss_fn_output_type "ArrayRecord"
        12 47                                      # 2 loss_fn_outputs, ArrayRecord (LEN 71)
          0A 0B 41727261795265636F7264             #   1 type_tag "ArrayRecord"
          12 36                                    #   2 fields map entry (LEN 54)
            0A 08 6C6F6770726F6273                 #     key "logprobs"
            12 2A                                  #     value BatchedTensor (LEN 42)
              0A 0C 000080BF 000000BF 000000C0     #       1 data: float32 LE -1.0, -0.5, -2.0
              12 18 0000000000000000               #       2 offsets: int64 LE byte offsets 0,
                    0400000000000000               #         4,
                    0C00000000000000               #         12
              18 01                                #       3 dtype DTYPE_FLOAT32 (trailing_shape empty: omitted)
          18 02                                    #   3 num_datums 2
        1A 13                                      # 3 metrics map entry (LEN 19)
          0A 08 6C6F73733A73756D                   #   key "loss:sum"
          11 000000000000F83F                      #   value double 1.5 (fixed64)
        """;

    private static AppOutput GoldenOutput() => new(
        "ArrayRecord",
        [
            new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromFloats([-1.0f]) },
            new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromFloats([-0.5f, -2.0f]) },
        ],
        new Dictionary<string, double> { ["loss:sum"] = 1.5 });

    private static byte[] Golden() =>
        SdkWire.Hex(string.Join('\n', GoldenOutputHex.Split('\n').Select(line => line.Split('#')[0])));

    private static AppOutput RichOutput() => new(
        "tinker.types:CrossEntropyLossReturn",
        [
            new Dictionary<string, TensorData>
            {
                ["logprobs"] = TensorData.FromFloats([-0.1f, -2.5f, float.NegativeInfinity]),
                ["elementwise_loss"] = TensorData.FromFloats([0.1f, 2.5f, 0f]),
                ["topk"] = TensorData.FromInts([1, 2, 3, 4, 5, 6], [3, 2]),
            },
            new Dictionary<string, TensorData>
            {
                ["logprobs"] = TensorData.FromFloats([]),
                ["elementwise_loss"] = TensorData.FromFloats([]),
                ["topk"] = TensorData.FromInts([], [0, 2]),
            },
            new Dictionary<string, TensorData>
            {
                ["logprobs"] = TensorData.FromFloats([-7f]),
                ["elementwise_loss"] = TensorData.FromFloats([7f]),
                ["topk"] = TensorData.FromInts([long.MaxValue, -9], [1, 2]),
            },
        ],
        new Dictionary<string, double> { ["loss:sum"] = 9.6, ["tokens:sum"] = 4, ["lr:mean"] = double.NaN });

    [Fact]
    public void Golden_output_is_encoded_byte_for_byte()
    {
        ForwardBackwardOutputWire.ToProtobuf(GoldenOutput()).Should().Equal(Golden());
    }

    [Fact]
    public void Sdk_decodes_the_encoded_output_to_the_same_result()
    {
        var output = RichOutput();

        var decoded = SdkWire.DecodeForwardBackwardOutput(ForwardBackwardOutputWire.ToProtobuf(output));

        // The SDK keeps the part after the last ':' of the type.
        decoded.LossFnOutputType.Should().Be("CrossEntropyLossReturn");
        decoded.LossFnOutputs.Should().BeEquivalentTo(output.LossFnOutputs);
        decoded.Metrics.Keys.Should().BeEquivalentTo(output.Metrics.Keys);
        decoded.Metrics["loss:sum"].Should().Be(9.6);
        double.IsNaN(decoded.Metrics["lr:mean"]).Should().BeTrue();
    }

    [Fact]
    public void Output_without_datums_has_no_records()
    {
        var bytes = ForwardBackwardOutputWire.ToProtobuf(new AppOutput("ArrayRecord", [], new Dictionary<string, double>()));

        var proto = Protos.TinkerPublic.ForwardBackwardOutput.Parser.ParseFrom(bytes);
        proto.LossFnOutputs.Should().BeEmpty();
        SdkWire.DecodeForwardBackwardOutput(bytes).LossFnOutputs.Should().BeEmpty();
    }

    [Fact]
    public void Invalid_metric_keys_are_dropped_from_both_encodings()
    {
        var output = GoldenOutput() with
        {
            Metrics = new Dictionary<string, double>
            {
                ["loss:sum"] = 1.5,
                ["loss"] = 1,
                ["a:b:mean"] = 2,
                ["loss:median"] = 3,
                [":sum"] = 4,
                ["z:max"] = 5,
            },
        };

        var proto = Protos.TinkerPublic.ForwardBackwardOutput.Parser.ParseFrom(ForwardBackwardOutputWire.ToProtobuf(output));
        var json = ForwardBackwardOutputWire.ToJson(output);

        proto.Metrics.Keys.Should().Equal("loss:sum", "z:max");
        json.Metrics.Keys.Should().Equal("loss:sum", "z:max");
    }

    [Fact]
    public void Datums_with_different_fields_cannot_be_encoded()
    {
        var output = GoldenOutput() with
        {
            LossFnOutputs =
            [
                new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromFloats([1f]) },
                new Dictionary<string, TensorData> { ["loss"] = TensorData.FromFloats([1f]) },
            ],
        };

        var act = () => ForwardBackwardOutputWire.ToProtobuf(output);

        act.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Datums_with_different_dtypes_cannot_be_encoded()
    {
        var output = GoldenOutput() with
        {
            LossFnOutputs =
            [
                new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromFloats([1f]) },
                new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromInts([1]) },
            ],
        };

        var act = () => ForwardBackwardOutputWire.ToProtobuf(output);

        act.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Json_output_has_the_older_sdk_shape()
    {
        var json = JsonSerializer.SerializeToNode(ForwardBackwardOutputWire.ToJson(RichOutput()))!.AsObject();

        json["loss_fn_output_type"]!.GetValue<string>().Should().Be("tinker.types:CrossEntropyLossReturn");
        var outputs = json["loss_fn_outputs"]!.AsArray();
        outputs.Should().HaveCount(3);
        var first = outputs[0]!.AsObject();
        first["logprobs"]!["dtype"]!.GetValue<string>().Should().Be("float32");
        first["logprobs"]!["shape"]!.AsArray().Select(n => n!.GetValue<int>()).Should().Equal(3);
        first["logprobs"]!["data"]![0]!.GetValue<double>().Should().BeApproximately(-0.1, 1e-6);
        first["logprobs"]!["data"]![2]!.GetValue<string>().Should().Be("-Infinity");
        first["topk"]!["dtype"]!.GetValue<string>().Should().Be("int64");
        first["topk"]!["shape"]!.AsArray().Select(n => n!.GetValue<int>()).Should().Equal(3, 2);
        outputs[2]!["topk"]!["data"]![0]!.GetValue<long>().Should().Be(long.MaxValue);
        json["metrics"]!["loss:sum"]!.GetValue<double>().Should().Be(9.6);
        json["metrics"]!["lr:mean"]!.GetValue<string>().Should().Be("NaN");
    }

    [Fact]
    public void Json_float_data_is_written_in_shortest_round_trip_form()
    {
        var output = GoldenOutput() with { LossFnOutputs = [new Dictionary<string, TensorData> { ["x"] = TensorData.FromFloats([0.1f]) }] };

        var text = JsonSerializer.Serialize(ForwardBackwardOutputWire.ToJson(output));

        text.Should().Contain("\"data\":[0.1]");
        JsonNode.Parse(text)!["loss_fn_outputs"]![0]!["x"]!["data"]![0]!.GetValue<float>().Should().Be(0.1f);
    }
}
