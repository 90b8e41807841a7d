using Google.Protobuf;
using TinkerServer.Api.Protos.TinkerPublic;
using TinkerServer.Application.Abstractions.Compute;
using AppOutput = TinkerServer.Application.Abstractions.Compute.ForwardBackwardOutput;
using ProtoOutput = TinkerServer.Api.Protos.TinkerPublic.ForwardBackwardOutput;

namespace TinkerServer.Api.Wire.Training;

/// <summary>
/// Encodes a forward / forward_backward result for retrieve_future: protobuf <c>ForwardBackwardOutput</c>
/// (SDK 0.25; 0.19–0.24 when asked) or the older JSON shape. Metrics with keys that are not "name:reduction" are
/// dropped (see <see cref="MetricKeys"/>).
/// </summary>
public static class ForwardBackwardOutputWire
{
    /// <summary>The type tag of the single ArrayRecord written; the SDK only reads the record's fields.</summary>
    internal const string RecordTypeTag = "ArrayRecord";

    /// <summary>
    /// Serialized <c>tinker_public.ForwardBackwardOutput</c>. Throws <see cref="InvalidOperationException"/> when the
    /// datums disagree on field names, dtypes or trailing shapes (a backend bug: the SDK requires them uniform).
    /// </summary>
    public static byte[] ToProtobuf(AppOutput output) => ToProto(output).ToByteArray();

    public static ForwardBackwardOutputJson ToJson(AppOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var outputs = output.LossFnOutputs
            .Select(datum => (IReadOnlyDictionary<string, TensorDataJson>)datum.ToDictionary(
                pair => pair.Key, pair => new TensorDataJson(pair.Value), StringComparer.Ordinal))
            .ToList();
        var metrics = MetricKeys.Valid(output.Metrics, out _);
        return new ForwardBackwardOutputJson(output.LossFnOutputType, outputs, new Dictionary<string, double>(metrics, StringComparer.Ordinal));
    }

    internal static ProtoOutput ToProto(AppOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var message = new ProtoOutput { LossFnOutputType = output.LossFnOutputType };
        foreach (var (key, value) in MetricKeys.Valid(output.Metrics, out _))
        {
            message.Metrics.Add(key, value);
        }

        // One record for all datums: the SDK concatenates records and needs every record to carry the same fields.
        if (output.LossFnOutputs.Count > 0)
        {
            message.LossFnOutputs.Add(ToRecord(output.LossFnOutputs));
        }

        return message;
    }

    private static ArrayRecord ToRecord(IReadOnlyList<IReadOnlyDictionary<string, TensorData>> datums)
    {
        var record = new ArrayRecord { TypeTag = RecordTypeTag, NumDatums = datums.Count };
        var names = datums[0].Keys.Order(StringComparer.Ordinal).ToList();
        for (var i = 1; i < datums.Count; i++)
        {
            if (datums[i].Count != names.Count || !names.All(datums[i].ContainsKey))
            {
                throw new InvalidOperationException(
                    $"loss_fn_outputs[{i}] has fields [{string.Join(", ", datums[i].Keys)}] but loss_fn_outputs[0] has [{string.Join(", ", names)}].");
            }
        }

        foreach (var name in names)
        {
            record.Fields.Add(name, ToBatchedTensor(name, datums));
        }

        return record;
    }

    private static BatchedTensor ToBatchedTensor(string name, IReadOnlyList<IReadOnlyDictionary<string, TensorData>> datums)
    {
        var first = datums[0][name];
        var trailing = TrailingShape(first);
        var elementSize = first.DType == TensorDType.Float32 ? sizeof(float) : sizeof(long);
        long total = 0;
        foreach (var datum in datums)
        {
            var tensor = datum[name];
            if (tensor.DType != first.DType || !TrailingShape(tensor).SequenceEqual(trailing))
            {
                throw new InvalidOperationException(
                    $"loss_fn_outputs field '{name}' must have one dtype and one trailing shape across datums.");
            }

            total += (long)tensor.Length * elementSize;
        }

        var data = new byte[total];
        var offsets = new long[datums.Count + 1];
        var position = 0;
        for (var i = 0; i < datums.Count; i++)
        {
            var tensor = datums[i][name];
            var bytes = tensor.Floats is not null ? LittleEndianArrays.Write(tensor.Floats) : LittleEndianArrays.Write(tensor.Ints!);
            bytes.CopyTo(data, position);
            position += bytes.Length;
            offsets[i + 1] = position;
        }

        var batched = new BatchedTensor
        {
            Data = UnsafeByteOperations.UnsafeWrap(data),
            Offsets = UnsafeByteOperations.UnsafeWrap(LittleEndianArrays.Write(offsets)),
            Dtype = first.DType == TensorDType.Float32 ? DType.Float32 : DType.Int64,
        };
        batched.TrailingShape.AddRange(trailing);
        return batched;
    }

    /// <summary>All but the leading dimension; the SDK rebuilds [elements / prod(trailing), *trailing]. A scalar has none.</summary>
    private static long[] TrailingShape(TensorData tensor) =>
        tensor.Shape.Length <= 1 ? [] : tensor.Shape[1..].Select(d => (long)d).ToArray();
}
