using System.Runtime.InteropServices;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace TinkerServer.Api.Wire;

/// <summary>
/// Reads a request body into memory under <see cref="WireLimits"/>, undoing <c>Content-Encoding: zstd</c>.
/// Memory stays bounded by MaxBodyBytes + MaxDecompressedBytes whatever the client sends.
/// </summary>
public sealed class WireBodyReader(WireLimits limits)
{
    private const int ChunkSize = 64 * 1024;
    private const int InitialCapacityCap = 8 * 1024 * 1024;

    /// <summary>The decoded body. Throws <see cref="WireFormatException"/> (413 / 415 / 422) for a bad body.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadAsync(Stream body, string? contentEncoding, long? contentLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var zstd = IsZstd(contentEncoding);
        if (contentLength > limits.MaxBodyBytes)
        {
            throw TooLarge(contentLength.Value);
        }

        var raw = await ReadRawAsync(body, contentLength, cancellationToken);
        return zstd ? Decompress(raw, limits.MaxDecompressedBytes) : raw;
    }

    /// <summary>Decompresses a whole zstd body, refusing more than <paramref name="maxOutputBytes"/> of output.</summary>
    public static ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> compressed, long maxOutputBytes)
    {
        var declared = ZstdFrameHeader.DeclaredContentSize(compressed.Span);
        if (declared > (ulong)maxOutputBytes)
        {
            throw WireFormatException.Unprocessable(
                $"The zstd body declares {declared} bytes of content, above the limit of {maxOutputBytes} bytes.");
        }

        // The declared size is only a hint for the first allocation (capped, since a truncated frame can declare
        // anything up to the bound); the counter below is the real bound.
        var initial = Math.Min(Math.Min(declared ?? (ulong)compressed.Length * 4, InitialCapacityCap), (ulong)maxOutputBytes);
        var output = new BoundedBuffer(maxOutputBytes, (int)initial);
        try
        {
            using var source = MemoryMarshal.TryGetArray(compressed, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(compressed.ToArray(), writable: false);
            using var decompressor = new DecompressionStream(source, checkEndOfStream: true);

            // Caps the window the frame may ask for, so a header alone cannot make the decoder allocate more than the bound.
            decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, WindowLogFor(maxOutputBytes));
            while (true)
            {
                var span = output.GetWritableSpan(ChunkSize);
                var read = decompressor.Read(span);
                if (read == 0)
                {
                    break;
                }

                output.Advance(read);
            }
        }
        catch (ZstdException ex)
        {
            throw WireFormatException.Unprocessable($"The zstd body could not be decompressed: {ex.Message}", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw WireFormatException.Unprocessable("The zstd body is truncated.", ex);
        }

        return output.WrittenMemory;
    }

    private static bool IsZstd(string? contentEncoding)
    {
        if (string.IsNullOrWhiteSpace(contentEncoding))
        {
            return false;
        }

        var coding = contentEncoding.Trim();
        if (coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (coding.Equals(WireContentTypes.Zstd, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        throw new WireFormatException(StatusCodes.Status415UnsupportedMediaType, $"Content-Encoding '{coding}' is not supported; use zstd or none.");
    }

    private static int WindowLogFor(long maxOutputBytes)
    {
        // zstd accepts 10 (1 KiB) .. 31; 27 is its own default ceiling for decoders.
        var log = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Math.Max(maxOutputBytes - 1, 1));
        return Math.Clamp(log, 10, 27);
    }

    private async Task<ReadOnlyMemory<byte>> ReadRawAsync(Stream body, long? contentLength, CancellationToken cancellationToken)
    {
        // Content-Length is the client's claim; trust it for sizing only up to a cap so a slow sender cannot pin
        // a bound-sized buffer with a few bytes.
        var initial = (int)Math.Min(Math.Min(contentLength ?? ChunkSize, InitialCapacityCap), limits.MaxBodyBytes);
        var buffer = new BoundedBuffer(limits.MaxBodyBytes, initial, tooLarge: TooLarge);
        while (true)
        {
            var memory = buffer.GetWritableMemory(ChunkSize);
            var read = await body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
        }
    }

    private WireFormatException TooLarge(long size) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body ({size} bytes or more) exceeds the limit of {limits.MaxBodyBytes} bytes.");

    /// <summary>A growable byte buffer that never grows past its bound (doubling capped at the bound).</summary>
    private sealed class BoundedBuffer(long maxBytes, int initialCapacity, Func<long, WireFormatException>? tooLarge = null)
    {
        private readonly byte[] _probe = new byte[1];
        private byte[] _buffer = new byte[Math.Min(Math.Max(initialCapacity, 16), maxBytes)];
        private int _written;

        public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

        public Span<byte> GetWritableSpan(int hint) => GetWritableMemory(hint).Span;

        public Memory<byte> GetWritableMemory(int hint)
        {
            if (_written == _buffer.Length)
            {
                if (_written >= maxBytes)
                {
                    // Full at the bound: one more byte would be over it. Read a single byte to find out.
                    return _probe.AsMemory();
                }

                var grown = Math.Min(Math.Max((long)_buffer.Length * 2, _written + (long)hint), maxBytes);
                Array.Resize(ref _buffer, (int)grown);
            }

            return _buffer.AsMemory(_written);
        }

        public void Advance(int count)
        {
            if (_written >= maxBytes)
            {
                // Data arrived after the buffer reached the bound (it went to the probe byte).
                throw tooLarge?.Invoke(maxBytes + count)
                    ?? WireFormatException.Unprocessable($"The zstd body decompresses to more than the limit of {maxBytes} bytes.");
            }

            _written += count;
        }
    }
}
