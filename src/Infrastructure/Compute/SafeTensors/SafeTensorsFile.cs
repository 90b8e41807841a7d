using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace TinkerServer.Infrastructure.Compute.SafeTensors;

/// <summary>
/// A validated safetensors file (header parsed eagerly, tensor bytes read on demand). Validation follows the
/// Rust crate: bounded header length, header starts with '{', tensors cover the data buffer contiguously from 0,
/// each tensor's byte size equals prod(shape) x dtype size, plus duplicate names rejected.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    public const long MaxHeaderLength = 100_000_000;

    private readonly byte[]? _bytes;
    private readonly SafeFileHandle? _handle;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsFile(byte[]? bytes, SafeFileHandle? handle, long dataStart, List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        _bytes = bytes;
        _handle = handle;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Tensors in data-offset order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafeTensorsFile Parse(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 8)
        {
            throw new SafeTensorsFormatException("File is shorter than the 8-byte header length.");
        }

        var n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        CheckHeaderLength(n, bytes.Length);
        var (tensors, metadata) = ParseHeader(bytes.AsSpan(8, (int)n), bytes.Length - 8 - (long)n);
        return new SafeTensorsFile(bytes, null, 8 + (long)n, tensors, metadata);
    }

    public static SafeTensorsFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var length = RandomAccess.GetLength(handle);
            if (length < 8)
            {
                throw new SafeTensorsFormatException("File is shorter than the 8-byte header length.");
            }

            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(handle, prefix, 0);
            var n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            CheckHeaderLength(n, length);
            var header = new byte[(int)n];
            ReadExactly(handle, header, 8);
            var (tensors, metadata) = ParseHeader(header, length - 8 - (long)n);
            return new SafeTensorsFile(null, handle, 8 + (long)n, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public SafeTensorInfo Get(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new SafeTensorsFormatException($"Tensor '{name}' is missing.");

    /// <summary>The raw little-endian bytes of a tensor.</summary>
    public byte[] ReadBytes(string name)
    {
        var info = Get(name);
        if (info.ByteLength > Array.MaxLength)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' is too large to load.");
        }

        var buffer = new byte[info.ByteLength];
        CopyData(info.Begin, buffer);
        return buffer;
    }

    /// <summary>A floating-point tensor converted to float32 (F32, F16, BF16 and F64 are accepted).</summary>
    public float[] ReadFloat32(string name)
    {
        var info = Get(name);
        var count = info.ElementCount;
        if (count > Array.MaxLength / 8)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' is too large to load.");
        }

        var result = new float[count];
        switch (info.DType)
        {
            case SafeTensorDType.F32:
                CopyData(info.Begin, MemoryMarshal.AsBytes(result.AsSpan()));
                break;
            case SafeTensorDType.F16:
                {
                    var halves = new Half[count];
                    CopyData(info.Begin, MemoryMarshal.AsBytes(halves.AsSpan()));
                    TensorPrimitives.ConvertToSingle(halves, result);
                    break;
                }

            case SafeTensorDType.BF16:
                {
                    var raw = new ushort[count];
                    CopyData(info.Begin, MemoryMarshal.AsBytes(raw.AsSpan()));
                    for (var i = 0; i < raw.Length; i++)
                    {
                        result[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                    }

                    break;
                }

            case SafeTensorDType.F64:
                {
                    var doubles = new double[count];
                    CopyData(info.Begin, MemoryMarshal.AsBytes(doubles.AsSpan()));
                    for (var i = 0; i < doubles.Length; i++)
                    {
                        result[i] = (float)doubles[i];
                    }

                    break;
                }

            default:
                throw new SafeTensorsFormatException($"Tensor '{name}' has dtype {SafeTensorDTypes.ToName(info.DType)}, expected a floating-point dtype.");
        }

        return result;
    }

    public void Dispose() => _handle?.Dispose();

    private void CopyData(long begin, Span<byte> destination)
    {
        if (_bytes is not null)
        {
            _bytes.AsSpan((int)(_dataStart + begin), destination.Length).CopyTo(destination);
        }
        else
        {
            ReadExactly(_handle!, destination, _dataStart + begin);
        }
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (destination.Length > 0)
        {
            var read = RandomAccess.Read(handle, destination, offset);
            if (read <= 0)
            {
                throw new SafeTensorsFormatException("Unexpected end of file.");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    private static void CheckHeaderLength(ulong n, long fileLength)
    {
        if (n > MaxHeaderLength)
        {
            throw new SafeTensorsFormatException($"Header length {n} exceeds the limit of {MaxHeaderLength} bytes.");
        }

        if (8 + (long)n > fileLength)
        {
            throw new SafeTensorsFormatException($"Header length {n} runs past the end of the file ({fileLength} bytes).");
        }
    }

    private static (List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ParseHeader(ReadOnlySpan<byte> header, long dataLength)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
        {
            throw new SafeTensorsFormatException("Header must start with '{'.");
        }

        JsonDocument document;
        try
        {
            // Strict UTF-8: invalid sequences must fail rather than be replaced.
            _ = new UTF8Encoding(false, true).GetCharCount(header);
            document = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (Exception ex) when (ex is JsonException or DecoderFallbackException or ArgumentException)
        {
            throw new SafeTensorsFormatException($"Header is not valid UTF-8 JSON: {ex.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException("Header must be a JSON object.");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<SafeTensorInfo>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw new SafeTensorsFormatException($"Duplicate entry '{property.Name}' in header.");
                }

                if (property.Name == "__metadata__")
                {
                    ParseMetadata(property.Value, metadata);
                    continue;
                }

                tensors.Add(ParseTensor(property.Name, property.Value));
            }

            Validate(tensors, dataLength);
            return (tensors, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafeTensorsFormatException("__metadata__ must be an object.");
        }

        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafeTensorsFormatException($"__metadata__ value '{entry.Name}' must be a string.");
            }

            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw new SafeTensorsFormatException($"Duplicate __metadata__ key '{entry.Name}'.");
            }
        }
    }

    private static SafeTensorInfo ParseTensor(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement)
            || !value.TryGetProperty("shape", out var shapeElement)
            || !value.TryGetProperty("data_offsets", out var offsetsElement))
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' needs dtype, shape and data_offsets.");
        }

        if (dtypeElement.ValueKind != JsonValueKind.String || !SafeTensorDTypes.TryParse(dtypeElement.GetString(), out var dtype))
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has an unknown dtype.");
        }

        if (shapeElement.ValueKind != JsonValueKind.Array || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has a malformed shape or data_offsets.");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            shape[i++] = ReadNonNegative(d, name);
        }

        var begin = ReadNonNegative(offsetsElement[0], name);
        var end = ReadNonNegative(offsetsElement[1], name);
        if (end < begin)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has data_offsets that end before they begin.");
        }

        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static long ReadNonNegative(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var v) && v >= 0
            ? v
            : throw new SafeTensorsFormatException($"Tensor '{name}' has an invalid integer in its shape or offsets.");

    private static void Validate(List<SafeTensorInfo> tensors, long dataLength)
    {
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expectedBegin = 0;
        foreach (var t in tensors)
        {
            if (t.Begin != expectedBegin)
            {
                throw new SafeTensorsFormatException($"Tensor '{t.Name}' does not start where the previous tensor ends (gap or overlap).");
            }

            long bytes;
            try
            {
                bytes = checked(t.ElementCount * SafeTensorDTypes.SizeOf(t.DType));
            }
            catch (OverflowException)
            {
                throw new SafeTensorsFormatException($"Tensor '{t.Name}' has a shape whose size overflows.");
            }

            if (t.End - t.Begin != bytes)
            {
                throw new SafeTensorsFormatException($"Tensor '{t.Name}' spans {t.End - t.Begin} bytes but its shape and dtype need {bytes}.");
            }

            expectedBegin = t.End;
        }

        if (expectedBegin != dataLength)
        {
            throw new SafeTensorsFormatException($"Tensors cover {expectedBegin} bytes but the data buffer holds {dataLength}.");
        }
    }
}
