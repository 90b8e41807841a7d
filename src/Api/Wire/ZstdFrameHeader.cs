using System.Buffers.Binary;

namespace TinkerServer.Api.Wire;

/// <summary>
/// Reads the Frame_Content_Size a zstd frame header declares (RFC 8878 §3.1.1.1) so an oversized body can be
/// refused before any output buffer is allocated.
/// </summary>
internal static class ZstdFrameHeader
{
    private const uint FrameMagic = 0xFD2FB528;
    private const uint SkippableMagicMask = 0xFFFFFFF0;
    private const uint SkippableMagic = 0x184D2A50;

    /// <summary>
    /// The content size the first zstd frame declares; null when the frame does not declare it or the body starts
    /// with a skippable frame (streaming with a byte counter covers those). Throws 422 for a body that is not zstd.
    /// </summary>
    public static ulong? DeclaredContentSize(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4)
        {
            throw WireFormatException.Unprocessable("The zstd body is too short to hold a frame header.");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(body);
        if ((magic & SkippableMagicMask) == SkippableMagic)
        {
            return null;
        }

        if (magic != FrameMagic)
        {
            throw WireFormatException.Unprocessable("The body is not zstd-compressed (bad frame magic number).");
        }

        if (body.Length < 5)
        {
            throw WireFormatException.Unprocessable("The zstd frame header is truncated.");
        }

        var descriptor = body[4];
        var fcsFlag = descriptor >> 6;
        var singleSegment = (descriptor & 0x20) != 0;
        int[] dictIdSizes = [0, 1, 2, 4];
        var dictIdSize = dictIdSizes[descriptor & 0x03];
        var fcsSize = fcsFlag switch
        {
            0 => singleSegment ? 1 : 0,
            1 => 2,
            2 => 4,
            _ => 8,
        };
        if (fcsSize == 0)
        {
            return null;
        }

        var position = 5 + (singleSegment ? 0 : 1) + dictIdSize;
        if (body.Length < position + fcsSize)
        {
            throw WireFormatException.Unprocessable("The zstd frame header is truncated.");
        }

        var field = body.Slice(position, fcsSize);
        return fcsSize switch
        {
            1 => field[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(field) + 256UL,
            4 => BinaryPrimitives.ReadUInt32LittleEndian(field),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(field),
        };
    }
}
