using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TinkerServer.Api.Wire;

/// <summary>
/// Packed little-endian arrays as the Tinker protobuf carries them in <c>bytes</c> fields (§7.2).
/// Reads check that the length is a whole number of elements.
/// </summary>
internal static class LittleEndianArrays
{
    public static int[] ReadInt32(ReadOnlySpan<byte> bytes, string what)
    {
        CheckLength(bytes, sizeof(int), what);
        var values = MemoryMarshal.Cast<byte, int>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }

        return values;
    }

    public static long[] ReadInt64(ReadOnlySpan<byte> bytes, string what)
    {
        CheckLength(bytes, sizeof(long), what);
        var values = MemoryMarshal.Cast<byte, long>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }

        return values;
    }

    public static float[] ReadFloat32(ReadOnlySpan<byte> bytes, string what)
    {
        CheckLength(bytes, sizeof(float), what);
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        }

        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }

        return values;
    }

    public static byte[] Write(ReadOnlySpan<int> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values).ToArray();
        }

        var bytes = new byte[values.Length * sizeof(int)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), values[i]);
        }

        return bytes;
    }

    public static byte[] Write(ReadOnlySpan<long> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values).ToArray();
        }

        var bytes = new byte[values.Length * sizeof(long)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        return bytes;
    }

    public static byte[] Write(ReadOnlySpan<float> values)
    {
        // Bit-exact either way, so NaN payloads and -0.0 survive.
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values).ToArray();
        }

        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return bytes;
    }

    private static void CheckLength(ReadOnlySpan<byte> bytes, int elementSize, string what)
    {
        if (bytes.Length % elementSize != 0)
        {
            throw WireFormatException.Unprocessable(
                $"{what} holds {bytes.Length} bytes, not a whole number of {elementSize}-byte elements.");
        }
    }
}
