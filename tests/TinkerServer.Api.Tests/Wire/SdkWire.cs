using System.Buffers.Binary;
using Google.Protobuf;
using TinkerServer.Api.Protos.TinkerPublic;
using TinkerServer.Application.Abstractions.Compute;
using AppDatum = TinkerServer.Application.Abstractions.Compute.Datum;
using AppOutput = TinkerServer.Application.Abstractions.Compute.ForwardBackwardOutput;
using AppSampledSequence = TinkerServer.Application.Abstractions.Compute.SampledSequence;
using AppStopReason = TinkerServer.Application.Abstractions.Compute.StopReason;
using ProtoDatum = TinkerServer.Api.Protos.TinkerPublic.Datum;

namespace TinkerServer.Api.Tests.Wire;

/// <summary>
/// What the SDK does on its side of the wire, written independently of the server code under test: it encodes
/// requests the way SDK 0.25 does and decodes results the way its response converter does (§7.2), so tests check
/// the server against the contract rather than against itself. Reusable by functional tests.
/// </summary>
internal static class SdkWire
{
    public static ForwardBackwardRequest EncodeRequest(
        string modelId, int seqId, ForwardBackwardBatch batch, bool forwardOnly = false, bool sparse = false)
    {
        var message = new ForwardBackwardRequest
        {
            ModelId = modelId,
            SeqId = seqId,
            LossFn = batch.LossFn,
            ForwardOnly = forwardOnly,
        };
        foreach (var (key, value) in batch.LossFnConfig)
        {
            message.LossFnConfig[key] = value;
        }

        foreach (var datum in batch.Data)
        {
            var proto = new ProtoDatum();
            proto.ModelInput.Add(new Chunk { EncodedText = new EncodedTextChunk { Tokens = ByteString.CopyFrom(Int32Bytes(datum.ModelInput)) } });
            foreach (var (name, tensor) in datum.LossFnInputs)
            {
                proto.LossFnInputs[name] = sparse && tensor.Shape.Length == 2 ? SparseTensor(tensor) : DenseTensor(tensor);
            }

            message.Data.Add(proto);
        }

        return message;
    }

    public static Tensor DenseTensor(TensorData tensor)
    {
        var proto = new Tensor
        {
            Dense = ByteString.CopyFrom(tensor.Floats is not null ? Float32Bytes(tensor.Floats) : Int64Bytes(tensor.Ints!)),
            Dtype = tensor.DType == TensorDType.Float32 ? DType.Float32 : DType.Int64,
        };
        proto.Shape.AddRange(tensor.Shape.Select(d => (long)d));
        return proto;
    }

    /// <summary>CSR of a 2-D tensor with zeros left out, as torch's to_sparse_csr produces it.</summary>
    public static Tensor SparseTensor(TensorData tensor)
    {
        int rows = tensor.Shape[0], cols = tensor.Shape[1];
        var crow = new List<long> { 0 };
        var col = new List<long>();
        var floats = new List<float>();
        var ints = new List<long>();
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var i = (r * cols) + c;
                if (tensor.Floats is not null ? tensor.Floats[i] != 0 : tensor.Ints![i] != 0)
                {
                    col.Add(c);
                    if (tensor.Floats is not null)
                    {
                        floats.Add(tensor.Floats[i]);
                    }
                    else
                    {
                        ints.Add(tensor.Ints![i]);
                    }
                }
            }

            crow.Add(col.Count);
        }

        var proto = new Tensor
        {
            SparseCsr = new SparseCsr
            {
                Values = ByteString.CopyFrom(tensor.Floats is not null ? Float32Bytes([.. floats]) : Int64Bytes([.. ints])),
                CrowIndices = ByteString.CopyFrom(Int64Bytes([.. crow])),
                ColIndices = ByteString.CopyFrom(Int64Bytes([.. col])),
            },
            Dtype = tensor.DType == TensorDType.Float32 ? DType.Float32 : DType.Int64,
        };
        proto.Shape.AddRange(tensor.Shape.Select(d => (long)d));
        return proto;
    }

    /// <summary>The SDK's ForwardBackwardOutput decoding: records concatenated, per-datum slices by byte offsets.</summary>
    public static AppOutput DecodeForwardBackwardOutput(byte[] bytes)
    {
        var proto = Protos.TinkerPublic.ForwardBackwardOutput.Parser.ParseFrom(bytes);
        var metrics = proto.Metrics.ToDictionary(p => p.Key, p => p.Value);
        if (proto.LossFnOutputs.Count == 0)
        {
            return new AppOutput(proto.LossFnOutputType.Length == 0 ? "ArrayRecord" : proto.LossFnOutputType, [], metrics);
        }

        var perField = new Dictionary<string, List<TensorData>>();
        long numDatums = 0;
        foreach (var record in proto.LossFnOutputs)
        {
            numDatums += record.NumDatums;
            foreach (var (name, bt) in record.Fields)
            {
                var size = bt.Dtype switch { DType.Float32 or DType.Int32 => 4, DType.Int64 => 8, _ => throw new InvalidOperationException() };
                var offsets = Int64s(bt.Offsets.ToByteArray());
                var trailing = bt.TrailingShape.Select(d => (int)d).ToArray();
                var trailingElems = trailing.Aggregate(1, (a, b) => a * b);
                var list = perField.TryGetValue(name, out var l) ? l : perField[name] = [];
                for (var i = 0; i + 1 < offsets.Length; i++)
                {
                    var slice = bt.Data.ToByteArray()[(int)offsets[i]..(int)offsets[i + 1]];
                    var count = slice.Length / size;
                    int[] shape = [trailingElems == 0 ? 0 : count / trailingElems, .. trailing];
                    list.Add(bt.Dtype == DType.Float32
                        ? TensorData.FromFloats(Floats(slice), shape)
                        : TensorData.FromInts(bt.Dtype == DType.Int64 ? Int64s(slice) : Int32s(slice).Select(v => (long)v).ToArray(), shape));
                }
            }
        }

        var outputs = new List<IReadOnlyDictionary<string, TensorData>>();
        for (var i = 0; i < numDatums; i++)
        {
            outputs.Add(perField.ToDictionary(p => p.Key, p => p.Value[i]));
        }

        return new AppOutput(proto.LossFnOutputType.Split(':')[^1], outputs, metrics);
    }

    /// <summary>The SDK's SampleResponse decoding, then its conversion of top-k matrices to rows (empty cells trimmed).</summary>
    public static SampleOutput DecodeSampleResponse(byte[] bytes)
    {
        var proto = SampleResponse.Parser.ParseFrom(bytes);
        var sequences = proto.Sequences
            .Select(s => new AppSampledSequence(
                s.StopReason == Protos.TinkerPublic.StopReason.Length ? AppStopReason.Length : AppStopReason.Stop,
                Int32s(s.Tokens.ToByteArray()),
                s.Logprobs.Length > 0 ? Floats(s.Logprobs.ToByteArray()) : []))
            .ToList();
        var prompt = proto.PromptLogprobs.Length > 0 ? Floats(proto.PromptLogprobs.ToByteArray()) : null;
        List<IReadOnlyList<TokenLogprob>?>? topk = null;
        if (proto.TopkPromptLogprobs is { } t && t.K > 0 && t.PromptLength > 0)
        {
            var ids = Int32s(t.TokenIds.ToByteArray());
            var lps = Floats(t.Logprobs.ToByteArray());
            topk = [];
            for (var r = 0; r < t.PromptLength; r++)
            {
                var row = new List<TokenLogprob>();
                for (var c = 0; c < t.K; c++)
                {
                    var i = (int)((r * t.K) + c);
                    if (ids[i] == 0 && lps[i] == -99999.0f)
                    {
                        break;
                    }

                    row.Add(new TokenLogprob(ids[i], lps[i]));
                }

                topk.Add(row.Count == 0 ? null : row);
            }
        }

        return new SampleOutput(sequences, prompt, topk);
    }

    public static byte[] Int32Bytes(int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public static byte[] Int64Bytes(long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return bytes;
    }

    public static byte[] Float32Bytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public static int[] Int32s(byte[] bytes) => Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4))).ToArray();

    public static long[] Int64s(byte[] bytes) => Enumerable.Range(0, bytes.Length / 8).Select(i => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8))).ToArray();

    public static float[] Floats(byte[] bytes) => Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4))).ToArray();

    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    /// <summary>A small two-datum cross-entropy batch with a 2-D float tensor that CSR can shrink.</summary>
    public static ForwardBackwardBatch SampleBatch() => new(
        [
            new AppDatum([1, 2, 3], new Dictionary<string, TensorData>
            {
                ["target_tokens"] = TensorData.FromInts([2, 3, 4]),
                ["weights"] = TensorData.FromFloats([0f, 1f, 1f]),
                ["mask2d"] = TensorData.FromFloats([0f, 0f, 0f, 0.5f, 0f, 0f, 0f, 0f, 0f, -2f, 0f, 0f], [3, 4]),
            }),
            new AppDatum([5, 6], new Dictionary<string, TensorData>
            {
                ["target_tokens"] = TensorData.FromInts([6, 7]),
                ["weights"] = TensorData.FromFloats([1f, 1f]),
                ["mask2d"] = TensorData.FromFloats([0f, 0f, 0f, 0f, 0f, 0f, 0f, 3f], [2, 4]),
            }),
        ],
        LossFunctions.CrossEntropy,
        new Dictionary<string, double>());
}
