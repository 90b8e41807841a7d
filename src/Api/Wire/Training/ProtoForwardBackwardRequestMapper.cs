using Google.Protobuf;
using TinkerServer.Api.Protos.TinkerPublic;
using TinkerServer.Application.Abstractions.Compute;
using AppDatum = TinkerServer.Application.Abstractions.Compute.Datum;
using ProtoDatum = TinkerServer.Api.Protos.TinkerPublic.Datum;

namespace TinkerServer.Api.Wire.Training;

/// <summary>Decodes <c>tinker_public.ForwardBackwardRequest</c> bytes into the application's batch.</summary>
internal static class ProtoForwardBackwardRequestMapper
{
    public static ForwardBackwardWireRequest Decode(ReadOnlySpan<byte> body, ForwardBackwardRoute route, WireLimits limits)
    {
        ForwardBackwardRequest message;
        try
        {
            message = ForwardBackwardRequest.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw WireFormatException.Unprocessable($"The body is not a valid tinker_public.ForwardBackwardRequest: {ex.Message}", ex);
        }

        return ToWireRequest(message, route, limits);
    }

    public static ForwardBackwardWireRequest ToWireRequest(ForwardBackwardRequest message, ForwardBackwardRoute route, WireLimits limits)
    {
        if (string.IsNullOrEmpty(message.ModelId))
        {
            throw WireFormatException.Unprocessable("model_id is required.");
        }

        if (message.SeqId < 0)
        {
            throw WireFormatException.Unprocessable($"seq_id must not be negative (got {message.SeqId}).");
        }

        if (string.IsNullOrEmpty(message.LossFn))
        {
            throw WireFormatException.Unprocessable("loss_fn is required.");
        }

        var budget = new TensorBudget(limits.MaxDecodedTensorBytes);
        var data = new AppDatum[message.Data.Count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = ToDatum(message.Data[i], $"data[{i}]", budget);
        }

        var config = new Dictionary<string, double>(message.LossFnConfig, StringComparer.Ordinal);
        return new ForwardBackwardWireRequest(
            message.ModelId,
            message.SeqId == 0 ? null : message.SeqId,
            message.ForwardOnly || route == ForwardBackwardRoute.Forward,
            new ForwardBackwardBatch(data, message.LossFn, config));
    }

    private static AppDatum ToDatum(ProtoDatum datum, string what, TensorBudget budget)
    {
        var tokens = new List<int>();
        for (var c = 0; c < datum.ModelInput.Count; c++)
        {
            var chunk = datum.ModelInput[c];
            var chunkWhat = $"{what}.model_input[{c}]";
            switch (chunk.ChunkCase)
            {
                case Chunk.ChunkOneofCase.EncodedText:
                    var chunkTokens = LittleEndianArrays.ReadInt32(chunk.EncodedText.Tokens.Span, $"{chunkWhat}.tokens");
                    ModelInputTokens.CheckNonNegative(chunkTokens, chunkWhat);
                    tokens.AddRange(chunkTokens);
                    break;
                case Chunk.ChunkOneofCase.Image:
                case Chunk.ChunkOneofCase.Dmel:
                    throw ModelInputTokens.UnsupportedChunk(chunkWhat, chunk.ChunkCase == Chunk.ChunkOneofCase.Image ? "image" : "dmel");
                default:
                    throw WireFormatException.Unprocessable($"{chunkWhat}: the chunk is empty.");
            }
        }

        var inputs = new Dictionary<string, TensorData>(datum.LossFnInputs.Count, StringComparer.Ordinal);
        foreach (var (name, tensor) in datum.LossFnInputs)
        {
            inputs[name] = ToTensor(tensor, $"{what}.loss_fn_inputs.{name}", budget);
        }

        return new AppDatum([.. tokens], inputs);
    }

    internal static TensorData ToTensor(Tensor tensor, string what, TensorBudget budget)
    {
        // proto3 cannot tell an absent repeated field from an empty one; empty = "not given" (1-D).
        long[]? shape = tensor.Shape.Count == 0 ? null : [.. tensor.Shape];
        switch (tensor.EncodingCase)
        {
            case Tensor.EncodingOneofCase.Dense:
                return TensorDecoder.Dense(what, ReadValues(tensor.Dense, tensor.Dtype, what), shape, budget);
            case Tensor.EncodingOneofCase.SparseCsr:
                var csr = tensor.SparseCsr;
                return TensorDecoder.SparseCsr(
                    what,
                    ReadValues(csr.Values, tensor.Dtype, what),
                    shape,
                    LittleEndianArrays.ReadInt64(csr.CrowIndices.Span, $"{what}.crow_indices"),
                    LittleEndianArrays.ReadInt64(csr.ColIndices.Span, $"{what}.col_indices"),
                    budget);
            default:
                throw WireFormatException.Unprocessable($"{what}: the tensor has neither dense nor sparse_csr data.");
        }
    }

    private static TensorValues ReadValues(ByteString bytes, DType dtype, string what) => dtype switch
    {
        DType.Float32 => new TensorValues(LittleEndianArrays.ReadFloat32(bytes.Span, what), null),
        DType.Int64 => new TensorValues(null, LittleEndianArrays.ReadInt64(bytes.Span, what)),
        DType.Int32 => new TensorValues(null, Array.ConvertAll(LittleEndianArrays.ReadInt32(bytes.Span, what), v => (long)v)),
        _ => throw WireFormatException.Unprocessable($"{what}: dtype {dtype} is not accepted in requests (FLOAT32, INT64 or INT32)."),
    };
}
