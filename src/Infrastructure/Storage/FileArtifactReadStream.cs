using Microsoft.Win32.SafeHandles;

namespace TinkerServer.Infrastructure.Storage;

/// <summary>
/// A read-only, seekable stream over a file-shaped artifact, tuned for streaming large archives to the network.
/// <para>
/// Reads are positional (pread) on a synchronous handle and complete inline, also from the async methods. On
/// Unix a FileStream's async read is a blocking pread moved to the thread pool anyway, so doing it on the
/// calling thread blocks the same kind of thread for the same time but saves a thread-pool hop per chunk,
/// a measurable share of the cost of streaming a 1 GiB archive (bench/download).
/// </para>
/// </summary>
internal sealed class FileArtifactReadStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private long _position;

    public FileArtifactReadStream(SafeFileHandle handle)
    {
        _handle = handle;
        _length = RandomAccess.GetLength(handle);
    }

    public override bool CanRead => !_handle.IsClosed;

    public override bool CanSeek => !_handle.IsClosed;

    public override bool CanWrite => false;

    /// <summary>The length when opened: committed artifacts are never modified in place (writes publish by rename).</summary>
    public override long Length
    {
        get
        {
            ThrowIfClosed();
            return _length;
        }
    }

    public override long Position
    {
        get
        {
            ThrowIfClosed();
            return _position;
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ThrowIfClosed();
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ThrowIfClosed();
        if (buffer.IsEmpty || _position >= _length)
        {
            return 0;
        }

        var read = RandomAccess.Read(_handle, buffer, _position);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(Read(buffer.Span));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfClosed();
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0)
        {
            throw new IOException("An attempt was made to move the position before the beginning of the stream.");
        }

        _position = target;
        return target;
    }

    public override void Flush()
    {
        // Read-only: nothing to flush.
    }

    public override void SetLength(long value) => throw new NotSupportedException("The artifact stream is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The artifact stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
}
