using Google.Protobuf;
using TinkerServer.Api.Protos.TinkerPublic;

namespace TinkerServer.Api.Tests.Wire;

/// <summary>The generated code against §7.3: every message round-trips and field numbers are the contract's.</summary>
public class SchemaTests
{
    public static TheoryData<string> Messages => [.. AllMessages().Keys];

    private static Dictionary<string, IMessage> AllMessages()
    {
        var shapeTensor = new Tensor { Dense = ByteString.CopyFrom(1, 2, 3, 4), Dtype = DType.Int32 };
        shapeTensor.Shape.Add(1);
        var datum = new Datum();
        datum.ModelInput.Add(new Chunk { EncodedText = new EncodedTextChunk { Tokens = ByteString.CopyFrom(1, 0, 0, 0) } });
        datum.ModelInput.Add(new Chunk { Image = new ImageChunk { Data = ByteString.CopyFromUtf8("x"), Format = "png", ExpectedTokens = 4 } });
        datum.ModelInput.Add(new Chunk { Dmel = new DmelChunk { Dmel = ByteString.CopyFrom(254, 1) } });
        datum.LossFnInputs["t"] = shapeTensor;
        datum.LossFnInputs["s"] = new Tensor
        {
            SparseCsr = new SparseCsr { Values = ByteString.CopyFrom(0, 0, 128, 63), CrowIndices = ByteString.CopyFrom(new byte[16]), ColIndices = ByteString.CopyFrom(new byte[8]) },
            Dtype = DType.Float32,
        };
        var request = new ForwardBackwardRequest { ModelId = "m", SeqId = 12, LossFn = "ppo", ForwardOnly = true };
        request.Data.Add(datum);
        request.LossFnConfig["clip_low_threshold"] = 0.8;

        var batched = new BatchedTensor { Data = ByteString.CopyFrom(1, 2, 3, 4), Offsets = ByteString.CopyFrom(new byte[16]), Dtype = DType.Bfloat16 };
        batched.TrailingShape.Add(2);
        var record = new ArrayRecord { TypeTag = "ArrayRecord", NumDatums = 1 };
        record.Fields["x"] = batched;
        var output = new ForwardBackwardOutput { LossFnOutputType = "ArrayRecord" };
        output.LossFnOutputs.Add(record);
        output.Metrics["loss:sum"] = 2;

        var sample = new SampleResponse { PromptLogprobs = ByteString.CopyFrom(0, 0, 192, 127), PromptCacheHitTokens = 3 };
        sample.Sequences.Add(new SampledSequence { StopReason = StopReason.Length, Tokens = ByteString.CopyFrom(1, 0, 0, 0), Logprobs = ByteString.CopyFrom(0, 0, 128, 191) });
        sample.TopkPromptLogprobs = new TopkPromptLogprobs { TokenIds = ByteString.CopyFrom(new byte[4]), Logprobs = ByteString.CopyFrom(new byte[4]), K = 1, PromptLength = 1 };

        var stopStrings = new StopStrings();
        stopStrings.Values.Add("\n\n");
        var stopTokens = new StopTokens();
        stopTokens.Values.Add(2);
        stopTokens.Values.Add(151_645);

        return new Dictionary<string, IMessage>
        {
            ["ForwardBackwardRequest"] = request,
            ["ForwardBackwardOutput"] = output,
            ["SampleResponse"] = sample,
            ["SamplingParams(stop strings)"] = new SamplingParams { MaxTokens = 16, Seed = ulong.MaxValue, Temperature = 0.7f, TopK = 50, TopP = 0.9f, StopStrs = stopStrings },
            ["SamplingParams(stop tokens)"] = new SamplingParams { StopTokens = stopTokens },
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips_through_the_generated_code(string name)
    {
        var message = AllMessages()[name];

        var parsed = message.Descriptor.Parser.ParseFrom(message.ToByteArray());

        parsed.Should().Be(message);
    }

    [Fact]
    public void Field_numbers_and_types_match_the_contract()
    {
        static string Fields(Google.Protobuf.Reflection.MessageDescriptor d) =>
            string.Join(" ", d.Fields.InFieldNumberOrder().Select(f => $"{f.FieldNumber}:{f.Name}:{f.FieldType}{(f.IsRepeated ? "[]" : string.Empty)}"));

        Fields(ForwardBackwardRequest.Descriptor).Should().Be(
            "1:model_id:String 2:seq_id:Int32 3:data:Message[] 4:loss_fn:String 5:loss_fn_config:Message[] 6:forward_only:Bool");
        Fields(Datum.Descriptor).Should().Be("1:model_input:Message[] 2:loss_fn_inputs:Message[]");
        Fields(Chunk.Descriptor).Should().Be("1:encoded_text:Message 2:image:Message 3:dmel:Message");
        Fields(Tensor.Descriptor).Should().Be("1:dense:Bytes 2:sparse_csr:Message 3:dtype:Enum 4:shape:Int64[]");
        Fields(SparseCsr.Descriptor).Should().Be("1:values:Bytes 2:crow_indices:Bytes 3:col_indices:Bytes");
        Fields(SampleResponse.Descriptor).Should().Be("1:sequences:Message[] 2:prompt_logprobs:Bytes 3:topk_prompt_logprobs:Message 4:prompt_cache_hit_tokens:Int32");
        Fields(SampledSequence.Descriptor).Should().Be("1:stop_reason:Enum 2:tokens:Bytes 3:logprobs:Bytes");
        Fields(TopkPromptLogprobs.Descriptor).Should().Be("1:token_ids:Bytes 2:logprobs:Bytes 3:k:UInt32 4:prompt_length:UInt32");
        Fields(BatchedTensor.Descriptor).Should().Be("1:data:Bytes 2:offsets:Bytes 3:dtype:Enum 4:trailing_shape:Int64[]");
        Fields(ArrayRecord.Descriptor).Should().Be("1:type_tag:String 2:fields:Message[] 3:num_datums:Int64");
        Fields(ForwardBackwardOutput.Descriptor).Should().Be("1:loss_fn_output_type:String 2:loss_fn_outputs:Message[] 3:metrics:Message[]");
        Fields(SamplingParams.Descriptor).Should().Be("1:max_tokens:Int32 2:seed:UInt64 3:temperature:Float 4:top_k:Int32 5:top_p:Float 6:stop_strs:Message 7:stop_tokens:Message");
        TinkerPublicReflection.Descriptor.Package.Should().Be("tinker_public");
        ((int)DType.Bfloat16).Should().Be(4);
        ((int)StopReason.Length).Should().Be(1);
    }

    [Fact]
    public void Repeated_shape_decodes_packed_and_unpacked()
    {
        // Tensor.shape = [3, 4]: packed (field 4, LEN) and unpacked (two field-4 varints).
        var packed = Tensor.Parser.ParseFrom(SdkWire.Hex("22 02 03 04"));
        var unpacked = Tensor.Parser.ParseFrom(SdkWire.Hex("20 03 20 04"));

        packed.Shape.Should().Equal(3L, 4L);
        unpacked.Shape.Should().Equal(3L, 4L);
    }
}
