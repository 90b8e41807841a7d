using System.Diagnostics;
using TinkerServer.Api.Wire;
using ZstdSharp;

namespace TinkerServer.Api.Tests.Wire;

public class WireBodyReaderTests
{
    private const long MiB = 1024 * 1024;

    private static Task<ReadOnlyMemory<byte>> Read(byte[] body, string? encoding, WireLimits limits, long? contentLength = -1) =>
        new WireBodyReader(limits).ReadAsync(new MemoryStream(body), encoding, contentLength == -1 ? body.Length : contentLength, CancellationToken.None);

    /// <summary>A frame that declares its content size, built by streaming zeros through ZstdSharp.</summary>
    private static byte[] CompressZeros(long size, bool declareSize)
    {
        var output = new MemoryStream();
        using (var stream = new CompressionStream(output, level: 1, leaveOpen: true))
        {
            if (declareSize)
            {
                stream.SetPledgedSrcSize((ulong)size);
            }

            var zeros = new byte[MiB];
            for (long written = 0; written < size; written += zeros.Length)
            {
                stream.Write(zeros, 0, (int)Math.Min(zeros.Length, size - written));
            }
        }

        return output.ToArray();
    }

    [Fact]
    public async Task Plain_body_is_returned_as_sent()
    {
        byte[] body = [1, 2, 3, 4, 5];

        var read = await Read(body, null, new WireLimits(), contentLength: null);

        read.ToArray().Should().Equal(body);
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("ZSTD")]
    [InlineData(" zstd ")]
    public async Task Zstd_body_is_decompressed(string encoding)
    {
        var payload = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7 % 251)).ToArray();
        using var compressor = new Compressor(3);

        var read = await Read(compressor.Wrap(payload).ToArray(), encoding, new WireLimits());

        read.ToArray().Should().Equal(payload);
    }

    [Fact]
    public async Task Zstd_body_without_declared_size_is_decompressed()
    {
        var compressed = CompressZeros(3 * MiB, declareSize: false);
        ZstdFrameHeaderDeclares(compressed).Should().BeNull();

        var read = await Read(compressed, "zstd", new WireLimits());

        read.Length.Should().Be((int)(3 * MiB));
        read.ToArray().Should().OnlyContain(b => b == 0);
    }

    [Fact]
    public async Task Zstd_bomb_declaring_1_GiB_is_a_422_before_anything_is_allocated()
    {
        var bomb = CompressZeros(1024 * MiB, declareSize: true);
        ZstdFrameHeaderDeclares(bomb).Should().Be(1024UL * 1024 * 1024);
        var limits = new WireLimits { MaxDecompressedBytes = MiB };
        long allocated = 0;

        var act = () => MeasureAllocations(() => Read(bomb, "zstd", limits), bytes => allocated = bytes);

        var error = (await act.Should().ThrowAsync<WireFormatException>()).Which;
        error.StatusCode.Should().Be(422);
        error.Message.Should().Contain("declares 1073741824 bytes");

        // The body itself (~32 KiB) is copied once; nothing near the declared size is touched.
        allocated.Should().BeLessThan(8 * MiB);
    }

    [Fact]
    public async Task Zstd_bomb_without_declared_size_stops_at_the_bound()
    {
        var bomb = CompressZeros(64 * MiB, declareSize: false);
        var limits = new WireLimits { MaxDecompressedBytes = MiB };
        long allocated = 0;

        var act = () => MeasureAllocations(() => Read(bomb, "zstd", limits), bytes => allocated = bytes);

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(422);
        allocated.Should().BeLessThan(16 * MiB);
    }

    [Fact]
    public async Task Truncated_frame_declaring_a_large_size_under_the_bound_does_not_allocate_it()
    {
        // Single-segment frame declaring 200 MiB (under the default 256 MiB bound), then nothing.
        var frame = SdkWire.Hex("28 B5 2F FD A0 00 00 80 0C");
        long allocated = 0;

        var act = () => MeasureAllocations(() => Read(frame, "zstd", new WireLimits()), bytes => allocated = bytes);

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(422);
        allocated.Should().BeLessThan(16 * MiB);
    }

    [Fact]
    public async Task Content_length_claim_does_not_size_the_buffer_beyond_a_cap()
    {
        long allocated = 0;
        var read = ReadOnlyMemory<byte>.Empty;

        await MeasureAllocations(
            async () => read = await Read([1, 2, 3], null, new WireLimits(), contentLength: 200 * MiB),
            bytes => allocated = bytes);

        read.ToArray().Should().Equal(1, 2, 3);
        allocated.Should().BeLessThan(16 * MiB);
    }

    [Fact]
    public async Task Zstd_body_exactly_at_the_bound_is_accepted()
    {
        var compressed = CompressZeros(MiB, declareSize: false);

        var read = await Read(compressed, "zstd", new WireLimits { MaxDecompressedBytes = MiB });

        read.Length.Should().Be((int)MiB);
    }

    [Theory]
    [InlineData("")]
    [InlineData("28 B5 2F")]                         // shorter than the magic number
    [InlineData("00 01 02 03 04 05 06 07")]          // not zstd at all
    [InlineData("28 B5 2F FD")]                      // magic without a frame header
    [InlineData("28 B5 2F FD C0")]                   // header cut inside the 8-byte content size
    [InlineData("28 B5 2F FD 20 05 FF FF FF FF")]    // block header announces a block that is not there
    public async Task Undecodable_zstd_body_is_a_422(string hex)
    {
        var act = () => Read(SdkWire.Hex(hex), "zstd", new WireLimits());

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(422);
    }

    [Fact]
    public async Task Truncated_zstd_body_is_a_422()
    {
        var payload = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 31 % 253)).ToArray();
        using var compressor = new Compressor(3);
        var compressed = compressor.Wrap(payload).ToArray();

        var act = () => Read(compressed[..(compressed.Length - 10)], "zstd", new WireLimits());

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(422);
    }

    [Fact]
    public async Task Raw_body_over_the_limit_is_a_413_even_without_content_length()
    {
        var act = () => Read(new byte[2048], null, new WireLimits { MaxBodyBytes = 1024 }, contentLength: null);

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(413);
    }

    [Fact]
    public async Task Declared_content_length_over_the_limit_is_a_413_before_reading()
    {
        var body = new UnreadableStream();

        var act = () => new WireBodyReader(new WireLimits { MaxBodyBytes = 1024 }).ReadAsync(body, null, 4096, CancellationToken.None);

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(413);
    }

    [Fact]
    public async Task Tiny_limits_are_exact()
    {
        var over = () => Read(new byte[11], null, new WireLimits { MaxBodyBytes = 10 }, contentLength: null);
        var at = await Read(new byte[10], null, new WireLimits { MaxBodyBytes = 10 }, contentLength: null);

        (await over.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(413);
        at.Length.Should().Be(10);
    }

    [Fact]
    public async Task Raw_body_exactly_at_the_limit_is_accepted()
    {
        var read = await Read(new byte[1024], null, new WireLimits { MaxBodyBytes = 1024 }, contentLength: null);

        read.Length.Should().Be(1024);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd, gzip")]
    public async Task Unsupported_content_encoding_is_a_415(string encoding)
    {
        var act = () => Read([1, 2, 3], encoding, new WireLimits());

        (await act.Should().ThrowAsync<WireFormatException>()).Which.StatusCode.Should().Be(415);
    }

    [Fact]
    public void Frame_header_sizes_are_read_for_every_field_width()
    {
        // Single-segment frames with 1-, 2- (+256), 4- and 8-byte Frame_Content_Size fields.
        ZstdFrameHeaderDeclares(SdkWire.Hex("28 B5 2F FD 20 7B")).Should().Be(123);
        ZstdFrameHeaderDeclares(SdkWire.Hex("28 B5 2F FD 60 00 01")).Should().Be(256 + 256);
        ZstdFrameHeaderDeclares(SdkWire.Hex("28 B5 2F FD A0 00 00 10 00")).Should().Be(1UL << 20);
        ZstdFrameHeaderDeclares(SdkWire.Hex("28 B5 2F FD E0 00 00 00 00 01 00 00 00")).Should().Be(1UL << 32);

        // Window descriptor and a 4-byte dictionary id sit before the size.
        ZstdFrameHeaderDeclares(SdkWire.Hex("28 B5 2F FD 83 58 01 02 03 04 00 00 40 00")).Should().Be(4UL << 20);

        // No size field without the single-segment flag.
        ZstdFrameHeaderDeclares(SdkWire.Hex("28 B5 2F FD 00 58")).Should().BeNull();
    }

    [Fact]
    public void Limits_are_validated()
    {
        var act = () => new Api.Wire.Training.ForwardBackwardRequestReader(new WireLimits { MaxDecompressedBytes = 0 });

        act.Should().Throw<InvalidOperationException>();
    }

    /// <summary>
    /// Bytes allocated by this thread while <paramref name="read"/> runs. Reading from a MemoryStream completes
    /// synchronously, so the whole decode happens here, unaffected by tests running in parallel.
    /// </summary>
    private static async Task MeasureAllocations(Func<Task> read, Action<long> report)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            await read();
        }
        finally
        {
            report(GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    private static ulong? ZstdFrameHeaderDeclares(byte[] frame) => ZstdFrameHeader.DeclaredContentSize(frame);

    private sealed class UnreadableStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new UnreachableException("The body must not be read.");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
