using System.Text;
using Google.Protobuf;
using TinkerServer.Api.Protos.TinkerPublic;
using TinkerServer.Api.Wire;
using TinkerServer.Api.Wire.Training;
using TinkerServer.Application.Abstractions.Compute;
using ZstdSharp;

namespace TinkerServer.Api.Tests.Wire;

public class ForwardBackwardRequestReaderTests
{
    // ForwardBackwardRequest{model_id:"m", seq_id:3, data:[Datum{model_input:[encoded_text [1,2]],
    // loss_fn_inputs:{"w": dense float32 [0.5] shape [1]}}], loss_fn:"cross_entropy", forward_only:true},
    // written byte by byte from the schema (tag = field << 3 | wire type).
    private const string GoldenRequestHex = """
        0A 01 6D                      # 1 model_id (LEN 1) "m"
        10 03                         # 2 seq_id varint 3
        1A 20                         # 3 data, Datum (LEN 32)
          0A 0C                       #   1 model_input, Chunk (LEN 12)
            0A 0A                     #     1 encoded_text, EncodedTextChunk (LEN 10)
              0A 08 01000000 02000000 #       1 tokens: int32 LE 1, 2
          12 10                       #   2 loss_fn_inputs map entry (LEN 16)
            0A 01 77                  #     key "w"
            12 0B                     #     value Tensor (LEN 11)
              0A 04 0000003F          #       1 dense: float32 LE 0.5
              18 01                   #       3 dtype DTYPE_FLOAT32
              22 01 01                #       4 shape, packed [1]
        22 0D 63726F73735F656E74726F7079 # 4 loss_fn "cross_entropy"
        30 01                         # 6 forward_only true
        """;

    private static readonly WireLimits Limits = new();

    private static byte[] GoldenRequest() =>
        SdkWire.Hex(string.Join('\n', GoldenRequestHex.Split('\n').Select(line => line.Split('#')[0])));

    private static ForwardBackwardRequestReader Reader(WireLimits? limits = null) => new(limits ?? Limits);

    private static Task<ForwardBackwardWireRequest> ReadProto(byte[] body, string? encoding = null, ForwardBackwardRoute route = ForwardBackwardRoute.ForwardBackward, WireLimits? limits = null) =>
        Reader(limits).ReadAsync(route, "application/x-protobuf", encoding, body.Length, new MemoryStream(body), CancellationToken.None);

    private static Task<ForwardBackwardWireRequest> ReadJson(string json, ForwardBackwardRoute route = ForwardBackwardRoute.ForwardBackward)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return Reader().ReadAsync(route, "application/json; charset=utf-8", null, body.Length, new MemoryStream(body), CancellationToken.None);
    }

    [Fact]
    public void Golden_request_bytes_match_what_the_generated_code_writes()
    {
        var message = new ForwardBackwardRequest { ModelId = "m", SeqId = 3, LossFn = "cross_entropy", ForwardOnly = true };
        var datum = new Protos.TinkerPublic.Datum();
        datum.ModelInput.Add(new Chunk { EncodedText = new EncodedTextChunk { Tokens = ByteString.CopyFrom(SdkWire.Int32Bytes([1, 2])) } });
        var tensor = new Tensor { Dense = ByteString.CopyFrom(SdkWire.Float32Bytes([0.5f])), Dtype = DType.Float32 };
        tensor.Shape.Add(1);
        datum.LossFnInputs["w"] = tensor;
        message.Data.Add(datum);

        message.ToByteArray().Should().Equal(GoldenRequest());
    }

    [Fact]
    public async Task Golden_request_decodes_to_the_application_batch()
    {
        var request = await ReadProto(GoldenRequest());

        request.ModelId.Should().Be("m");
        request.SeqId.Should().Be(3);
        request.ForwardOnly.Should().BeTrue();
        request.Batch.LossFn.Should().Be("cross_entropy");
        request.Batch.LossFnConfig.Should().BeEmpty();
        request.Batch.Data.Should().ContainSingle();
        request.Batch.Data[0].ModelInput.Should().Equal(1, 2);
        var w = request.Batch.Data[0].LossFnInputs["w"];
        w.DType.Should().Be(TensorDType.Float32);
        w.Shape.Should().Equal(1);
        w.Floats.Should().Equal(0.5f);
    }

    [Fact]
    public async Task Seq_id_zero_on_the_protobuf_wire_means_absent()
    {
        var message = SdkWire.EncodeRequest("run:train:0", 0, SdkWire.SampleBatch());

        var request = await ReadProto(message.ToByteArray());

        request.SeqId.Should().BeNull();
        request.ForwardOnly.Should().BeFalse();
    }

    [Fact]
    public async Task Protobuf_request_round_trips_the_application_batch()
    {
        var batch = SdkWire.SampleBatch() with { LossFn = LossFunctions.Ppo, LossFnConfig = new Dictionary<string, double> { ["clip_low_threshold"] = 0.8 } };

        var request = await ReadProto(SdkWire.EncodeRequest("run:train:0", 7, batch).ToByteArray());

        request.SeqId.Should().Be(7);
        request.Batch.Should().BeEquivalentTo(batch);
    }

    [Fact]
    public async Task Sparse_and_dense_tensors_decode_to_the_same_values()
    {
        var batch = SdkWire.SampleBatch();
        var sparseMessage = SdkWire.EncodeRequest("m", 1, batch, sparse: true);
        sparseMessage.Data[0].LossFnInputs["mask2d"].EncodingCase.Should().Be(Tensor.EncodingOneofCase.SparseCsr);

        var dense = await ReadProto(SdkWire.EncodeRequest("m", 1, batch).ToByteArray());
        var sparse = await ReadProto(sparseMessage.ToByteArray());

        sparse.Should().BeEquivalentTo(dense);
        sparse.Batch.Data[0].LossFnInputs["mask2d"].Floats.Should().Equal(0f, 0f, 0f, 0.5f, 0f, 0f, 0f, 0f, 0f, -2f, 0f, 0f);
        sparse.Batch.Data[0].LossFnInputs["mask2d"].Shape.Should().Equal(3, 4);
    }

    [Fact]
    public async Task Int32_tensors_are_widened_to_int64()
    {
        var message = SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch());
        message.Data[0].LossFnInputs["target_tokens"] = new Tensor { Dense = ByteString.CopyFrom(SdkWire.Int32Bytes([9, -1, 70000])), Dtype = DType.Int32 };

        var request = await ReadProto(message.ToByteArray());

        var tokens = request.Batch.Data[0].LossFnInputs["target_tokens"];
        tokens.DType.Should().Be(TensorDType.Int64);
        tokens.Ints.Should().Equal(9, -1, 70000);
        tokens.Shape.Should().Equal(3);
    }

    [Fact]
    public async Task Several_encoded_text_chunks_are_concatenated()
    {
        var message = SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch());
        message.Data[0].ModelInput.Add(new Chunk { EncodedText = new EncodedTextChunk { Tokens = ByteString.CopyFrom(SdkWire.Int32Bytes([40, 41])) } });

        var request = await ReadProto(message.ToByteArray());

        request.Batch.Data[0].ModelInput.Should().Equal(1, 2, 3, 40, 41);
    }

    [Fact]
    public async Task Zstd_compressed_and_plain_bodies_decode_identically()
    {
        var plain = SdkWire.EncodeRequest("m", 4, SdkWire.SampleBatch(), sparse: true).ToByteArray();
        using var compressor = new Compressor(3);
        var compressed = compressor.Wrap(plain).ToArray();

        var fromPlain = await ReadProto(plain);
        var fromZstd = await ReadProto(compressed, "zstd");

        fromZstd.Should().BeEquivalentTo(fromPlain);
    }

    [Fact]
    public async Task Forward_route_is_always_forward_only()
    {
        var request = await ReadProto(SdkWire.EncodeRequest("m", 2, SdkWire.SampleBatch()).ToByteArray(), route: ForwardBackwardRoute.Forward);

        request.ForwardOnly.Should().BeTrue();
    }

    [Fact]
    public async Task Json_request_decodes_to_the_same_application_batch_as_the_protobuf_request()
    {
        const string json = """
            {
              "model_id": "run:train:0",
              "seq_id": 5,
              "forward_backward_input": {
                "data": [
                  {
                    "model_input": {"chunks": [{"type": "encoded_text", "tokens": [1, 2, 3]}]},
                    "loss_fn_inputs": {
                      "target_tokens": {"data": [2, 3, 4], "dtype": "int64", "shape": [3]},
                      "weights": {"data": [0.0, 1.0, 1.0], "dtype": "float32"},
                      "mask2d": {"data": [0.5, -2.0], "dtype": "float32", "shape": [3, 4],
                                 "sparse_crow_indices": [0, 1, 1, 2], "sparse_col_indices": [3, 1]}
                    }
                  },
                  {
                    "model_input": {"chunks": [{"type": "encoded_text", "tokens": [5]}, {"type": "encoded_text", "tokens": [6]}]},
                    "loss_fn_inputs": {
                      "target_tokens": {"data": [6, 7], "dtype": "int64"},
                      "weights": {"data": [1, 1], "dtype": "float32", "shape": [2]},
                      "mask2d": {"data": [0, 0, 0, 0, 0, 0, 0, 3], "dtype": "float32", "shape": [2, 4]}
                    },
                    "some_future_field": {"ignored": true}
                  }
                ],
                "loss_fn": "cross_entropy"
              },
              "type": "forward_backward"
            }
            """;

        var fromJson = await ReadJson(json);
        var fromProto = await ReadProto(SdkWire.EncodeRequest("run:train:0", 5, SdkWire.SampleBatch(), sparse: true).ToByteArray());

        fromJson.Should().BeEquivalentTo(fromProto);
        fromJson.Batch.Should().BeEquivalentTo(SdkWire.SampleBatch());
    }

    [Fact]
    public async Task Json_forward_request_reads_forward_input_and_is_forward_only()
    {
        const string json = """
            {"model_id": "m", "forward_input": {"data": [{"model_input": {"chunks": [{"type": "encoded_text", "tokens": [1]}]},
              "loss_fn_inputs": {}}], "loss_fn": "cross_entropy", "loss_fn_config": {"x": 1.5}}}
            """;

        var request = await ReadJson(json, ForwardBackwardRoute.Forward);

        request.ForwardOnly.Should().BeTrue();
        request.SeqId.Should().BeNull();
        request.Batch.LossFnConfig.Should().Equal(new Dictionary<string, double> { ["x"] = 1.5 });
        request.Batch.Data[0].ModelInput.Should().Equal(1);
    }

    [Theory]
    [InlineData("image", "\"data\": \"aGk=\", \"format\": \"png\"")]
    [InlineData("image_asset_pointer", "\"format\": \"png\", \"location\": \"s3://x\"")]
    [InlineData("dmel", "\"dmel\": \"AAAA\"")]
    public async Task Json_non_text_chunks_are_a_400(string type, string fields)
    {
        var json = $$$"""
            {"model_id": "m", "forward_backward_input": {"data": [{"model_input": {"chunks": [{"type": "{{{type}}}", {{{fields}}}}]},
              "loss_fn_inputs": {}}], "loss_fn": "cross_entropy"}}
            """;

        var act = () => ReadJson(json);

        (await act.Should().ThrowAsync<WireFormatException>())
            .Which.Should().Match<WireFormatException>(e => e.StatusCode == 400 && e.Message.Contains("only encoded_text chunks are supported"));
    }

    [Fact]
    public async Task Protobuf_image_chunk_is_a_400()
    {
        var message = SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch());
        message.Data[1].ModelInput.Add(new Chunk { Image = new ImageChunk { Data = ByteString.CopyFromUtf8("png"), Format = "png" } });

        var act = () => ReadProto(message.ToByteArray());

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(400);
    }

    [Theory]
    [InlineData("{\"model_id\": \"m\"}")]
    [InlineData("{\"forward_backward_input\": {\"data\": [], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": [{\"type\": \"encoded_text\", \"tokens\": [1]}]}, \"loss_fn_inputs\": {\"w\": {\"data\": [1, 2], \"dtype\": \"float32\", \"shape\": [3]}}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": [{\"type\": \"encoded_text\", \"tokens\": [1]}]}, \"loss_fn_inputs\": {\"w\": {\"data\": [1.5], \"dtype\": \"int64\"}}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": [{\"type\": \"encoded_text\", \"tokens\": [1]}]}, \"loss_fn_inputs\": {\"w\": {\"data\": [1], \"dtype\": \"bfloat16\"}}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": [{\"type\": \"encoded_text\", \"tokens\": [1]}]}, \"loss_fn_inputs\": {\"w\": {\"data\": [1], \"dtype\": \"float32\", \"shape\": [1, 1], \"sparse_crow_indices\": [0, 1]}}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": [{\"type\": \"encoded_text\", \"tokens\": [-4]}]}, \"loss_fn_inputs\": {}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": [{\"type\": \"encoded_text\", \"tokens\": [99999999999]}]}, \"loss_fn_inputs\": {}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"seq_id\": -1, \"forward_backward_input\": {\"data\": [], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [], \"loss_fn\": \"cross_entropy\"}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": []}, \"loss_fn_inputs\": {\"w\": {\"data\": [1e400], \"dtype\": \"float32\"}}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": []}, \"loss_fn_inputs\": {\"w\": {\"data\": [1e400], \"dtype\": \"int64\"}}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("{\"model_id\": \"m\", \"forward_backward_input\": {\"data\": [{\"model_input\": {\"chunks\": []}, \"loss_fn_inputs\": {\"w\": {\"data\": [\"1\"], \"dtype\": \"float32\"}}}], \"loss_fn\": \"cross_entropy\"}}")]
    [InlineData("[1, 2]")]
    [InlineData("null")]
    public async Task Invalid_json_requests_are_a_422(string json)
    {
        var act = () => ReadJson(json);

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(422);
    }

    [Fact]
    public async Task Truncated_protobuf_body_is_a_422()
    {
        var bytes = SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch()).ToByteArray();

        var act = () => ReadProto(bytes[..(bytes.Length / 2)]);

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(422);
    }

    [Theory]
    [InlineData("FF FF FF FF FF FF FF FF FF FF FF")]  // varint longer than 10 bytes
    [InlineData("0A FF FF FF 0F 00")]                 // LEN field claiming 32 MiB
    [InlineData("0F 00")]                             // wire type 7 does not exist
    [InlineData("68 65 6C 6C 6F")]                    // "hello": ends with an unmatched END_GROUP
    [InlineData("")]                                  // parses as an empty message: no model_id
    [InlineData("12 00")]                             // field 2 (seq_id, varint) sent as LEN
    public async Task Garbage_protobuf_body_is_a_422(string hex)
    {
        var act = () => ReadProto(SdkWire.Hex(hex));

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(422);
    }

    public static TheoryData<string> InconsistentRequests => [.. Corruptions.Keys];

    private static readonly Dictionary<string, Action<ForwardBackwardRequest>> Corruptions = new()
    {
        { "dense bytes not a whole element", m => m.Data[0].LossFnInputs["weights"].Dense = ByteString.CopyFrom(1, 2, 3) },
        { "dense length vs shape", m => m.Data[0].LossFnInputs["weights"].Shape.Add(2) },
        { "negative dim", m => { var t = m.Data[0].LossFnInputs["weights"]; t.Shape.Clear(); t.Shape.Add(-3); } },
        { "unspecified dtype", m => m.Data[0].LossFnInputs["weights"].Dtype = DType.Unspecified },
        { "bfloat16 dtype", m => m.Data[0].LossFnInputs["weights"].Dtype = DType.Bfloat16 },
        { "tensor without data", m => m.Data[0].LossFnInputs["weights"] = new Tensor { Dtype = DType.Float32 } },
        { "sparse without shape", m => m.Data[0].LossFnInputs["mask2d"].Shape.Clear() },
        { "sparse 1-D shape", m => { var t = m.Data[0].LossFnInputs["mask2d"]; t.Shape.Clear(); t.Shape.Add(12); } },
        { "crow wrong length", m => m.Data[0].LossFnInputs["mask2d"].SparseCsr.CrowIndices = ByteString.CopyFrom(SdkWire.Int64Bytes([0, 1, 2])) },
        { "crow not starting at 0", m => m.Data[0].LossFnInputs["mask2d"].SparseCsr.CrowIndices = ByteString.CopyFrom(SdkWire.Int64Bytes([1, 1, 1, 2])) },
        { "crow decreasing", m => m.Data[0].LossFnInputs["mask2d"].SparseCsr.CrowIndices = ByteString.CopyFrom(SdkWire.Int64Bytes([0, 2, 1, 2])) },
        { "crow end vs nnz", m => m.Data[0].LossFnInputs["mask2d"].SparseCsr.CrowIndices = ByteString.CopyFrom(SdkWire.Int64Bytes([0, 1, 1, 1])) },
        { "col out of range", m => m.Data[0].LossFnInputs["mask2d"].SparseCsr.ColIndices = ByteString.CopyFrom(SdkWire.Int64Bytes([4, 1])) },
        { "col negative", m => m.Data[0].LossFnInputs["mask2d"].SparseCsr.ColIndices = ByteString.CopyFrom(SdkWire.Int64Bytes([-1, 1])) },
        { "col count vs values", m => m.Data[0].LossFnInputs["mask2d"].SparseCsr.ColIndices = ByteString.CopyFrom(SdkWire.Int64Bytes([3])) },
        { "cols not increasing in a row", m => SetCsr(m, [0, 2, 2, 2], [3, 1]) },
        { "huge sparse shape", m => { var t = m.Data[0].LossFnInputs["mask2d"]; t.Shape[0] = 3; t.Shape[1] = 1L << 40; } },
        { "tokens not whole int32", m => m.Data[0].ModelInput[0].EncodedText.Tokens = ByteString.CopyFrom(1, 0, 0) },
        { "negative token", m => m.Data[0].ModelInput[0].EncodedText.Tokens = ByteString.CopyFrom(SdkWire.Int32Bytes([-1])) },
        { "empty chunk", m => m.Data[0].ModelInput.Add(new Chunk()) },
        { "negative seq_id", m => m.SeqId = -2 },
        { "no model_id", m => m.ModelId = string.Empty },
        { "no loss_fn", m => m.LossFn = string.Empty },
    };

    [Theory]
    [MemberData(nameof(InconsistentRequests))]
    public async Task Inconsistent_protobuf_requests_are_a_422(string because)
    {
        var message = SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch(), sparse: true);
        Corruptions[because](message);

        var act = () => ReadProto(message.ToByteArray());

        (await act.Should().ThrowAsync<WireFormatException>(because)).Which.StatusCode.Should().Be(422, because);
    }

    [Fact]
    public async Task Sparse_tensors_cannot_densify_past_the_per_request_tensor_budget()
    {
        // 100 CSR tensors of 1000 x 1000 float32 with no values: a few bytes each on the wire, 400 MB dense.
        var message = SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch());
        for (var i = 0; i < 100; i++)
        {
            var tensor = new Tensor
            {
                Dtype = DType.Float32,
                SparseCsr = new SparseCsr { CrowIndices = ByteString.CopyFrom(SdkWire.Int64Bytes(new long[1001])) },
            };
            tensor.Shape.Add(1000);
            tensor.Shape.Add(1000);
            message.Data[0].LossFnInputs[$"t{i}"] = tensor;
        }

        var act = () => ReadProto(message.ToByteArray(), limits: new WireLimits { MaxDecodedTensorBytes = 64L * 1024 * 1024 });

        (await act.Should().ThrowAsync<WireFormatException>()).Which.Message.Should().Contain("limit");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/octet-stream")]
    public async Task Unknown_content_type_is_a_415(string? contentType)
    {
        var body = SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch()).ToByteArray();

        var act = () => Reader().ReadAsync(ForwardBackwardRoute.ForwardBackward, contentType, null, body.Length, new MemoryStream(body), CancellationToken.None);

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(415);
    }

    [Fact]
    public async Task Reads_from_an_http_request()
    {
        var body = SdkWire.EncodeRequest("m", 9, SdkWire.SampleBatch()).ToByteArray();
        using var compressor = new Compressor(1);
        var compressed = compressor.Wrap(body).ToArray();
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.ContentType = "application/x-protobuf";
        context.Request.Headers.ContentEncoding = "zstd";
        context.Request.ContentLength = compressed.Length;
        context.Request.Body = new MemoryStream(compressed);

        var request = await Reader().ReadAsync(context.Request, ForwardBackwardRoute.ForwardBackward, CancellationToken.None);

        request.SeqId.Should().Be(9);
        request.Batch.Should().BeEquivalentTo(SdkWire.SampleBatch());
    }

    private static void SetCsr(ForwardBackwardRequest message, long[] crow, long[] col)
    {
        var csr = message.Data[0].LossFnInputs["mask2d"].SparseCsr;
        csr.CrowIndices = ByteString.CopyFrom(SdkWire.Int64Bytes(crow));
        csr.ColIndices = ByteString.CopyFrom(SdkWire.Int64Bytes(col));
    }
}
