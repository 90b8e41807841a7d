using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace TinkerServer.Infrastructure.Compute.SafeTensors;

/// <summary>A tensor to write: name, dtype, shape and its little-endian row-major bytes.</summary>
public sealed record SafeTensorEntry(string Name, SafeTensorDType DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    public static SafeTensorEntry FromFloats(string name, float[] data, params long[] shape) =>
        new(name, SafeTensorDType.F32, shape, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
}

/// <summary>
/// Writes safetensors exactly as the Rust crate does, so files are byte-identical: tensors sorted by dtype
/// (descending enum order) then name, consecutive offsets, compact JSON with __metadata__ first, header padded
/// with spaces to a multiple of 8.
/// </summary>
public static class SafeTensorsWriter
{
    public static byte[] ToBytes(IEnumerable<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    public static void Write(Stream destination, IEnumerable<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(tensors);
        var sorted = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in sorted)
        {
            if (t.Name == "__metadata__" || !names.Add(t.Name))
            {
                throw new ArgumentException($"Duplicate or reserved tensor name '{t.Name}'.", nameof(tensors));
            }

            long count = 1;
            foreach (var d in t.Shape)
            {
                count = checked(count * d);
            }

            if (count * SafeTensorDTypes.SizeOf(t.DType) != t.Data.Length)
            {
                throw new ArgumentException($"Tensor '{t.Name}' has {t.Data.Length} bytes, its shape needs {count * SafeTensorDTypes.SizeOf(t.DType)}.", nameof(tensors));
            }
        }

        sorted.Sort((a, b) =>
        {
            var byDType = b.DType.CompareTo(a.DType);
            return byDType != 0 ? byDType : string.CompareOrdinal(a.Name, b.Name);
        });

        var json = new StringBuilder();
        json.Append('{');
        var first = true;
        if (metadata is not null)
        {
            json.Append("\"__metadata__\":{");
            var firstKey = true;
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!firstKey)
                {
                    json.Append(',');
                }

                AppendString(json, key);
                json.Append(':');
                AppendString(json, value);
                firstKey = false;
            }

            json.Append('}');
            first = false;
        }

        long offset = 0;
        foreach (var t in sorted)
        {
            if (!first)
            {
                json.Append(',');
            }

            first = false;
            AppendString(json, t.Name);
            json.Append(":{\"dtype\":\"").Append(SafeTensorDTypes.ToName(t.DType)).Append("\",\"shape\":[");
            json.AppendJoin(',', t.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
            json.Append("],\"data_offsets\":[");
            json.Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',');
            offset += t.Data.Length;
            json.Append(offset.ToString(CultureInfo.InvariantCulture)).Append("]}");
        }

        json.Append('}');
        var headerBytes = Encoding.UTF8.GetBytes(json.ToString());
        var padding = (8 - (headerBytes.Length % 8)) % 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)(headerBytes.Length + padding));
        destination.Write(prefix);
        destination.Write(headerBytes);
        for (var i = 0; i < padding; i++)
        {
            destination.WriteByte((byte)' ');
        }

        foreach (var t in sorted)
        {
            destination.Write(t.Data.Span);
        }
    }

    /// <summary>serde_json's string escaping: only quote, backslash and control characters (lowercase \u00xx).</summary>
    private static void AppendString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
