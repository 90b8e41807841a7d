using System.Formats.Tar;
using Microsoft.Win32.SafeHandles;

namespace TinkerServer.Infrastructure.Storage;

/// <summary>
/// A directory presented as an uncompressed tar archive, generated on the fly. The entry table (header bytes,
/// data length and padding of every entry) is computed when the stream is created, so <see cref="Length"/> is
/// exact up front and <see cref="Seek"/> can jump anywhere: a position maps to a header, file data (read lazily,
/// one file handle at a time) or zero padding. Entries are the regular files and directories below the
/// artifact, named relative to it, in ordinal order; symbolic links are skipped, never followed.
/// </summary>
internal sealed class DirectoryTarStream : Stream
{
    private const int BlockSize = 512;
    private const int TrailerSize = 2 * BlockSize;
    private const UnixFileMode FileMode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode DirectoryMode755 = FileMode644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly Entry[] _entries;
    private readonly long _length;
    private long _position;
    private SafeFileHandle? _openFile;
    private int _openEntry = -1;
    private bool _disposed;

    private DirectoryTarStream(Entry[] entries, long length)
    {
        _entries = entries;
        _length = length;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => false;

    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _length;
        }
    }

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    /// <summary>Builds the entry table of <paramref name="directory"/>.</summary>
    public static DirectoryTarStream Open(string directory) => Open(directory, out _);

    /// <summary>Builds the entry table; also reports the newest modification time found.</summary>
    public static DirectoryTarStream Open(string directory, out DateTimeOffset lastModified)
    {
        var root = new DirectoryInfo(directory);
        var entries = new List<Entry>();
        var offset = 0L;
        var newest = root.LastWriteTimeUtc;
        Collect(root, prefix: string.Empty, entries, ref offset, ref newest);
        lastModified = new DateTimeOffset(newest, TimeSpan.Zero);
        return new DirectoryTarStream([.. entries], offset + TrailerSize);
    }

    /// <summary>The tar length of <paramref name="directory"/> without keeping anything open.</summary>
    public static long MeasureLength(string directory)
    {
        using var stream = Open(directory);
        return stream.Length;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0)
        {
            throw new IOException("Cannot seek before the start of the archive.");
        }

        _position = target;
        return _position;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var total = 0;
        while (total < buffer.Length && _position < _length)
        {
            var part = buffer[total..];
            int n;
            if (Locate(out var index, out var local) is { } region)
            {
                n = region switch
                {
                    Region.Header => CopyHeader(_entries[index], local, part),
                    Region.Data => ReadData(index, local - _entries[index].Header.Length, part),
                    _ => Zero(part, _entries[index].End - _position),
                };
            }
            else
            {
                n = Zero(part, _length - _position);
            }

            _position += n;
            total += n;
        }

        return total;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var total = 0;
        while (total < buffer.Length && _position < _length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var part = buffer[total..];
            int n;
            var region = Locate(out var index, out var local);
            if (region == Region.Data)
            {
                var entry = _entries[index];
                var dataOffset = local - entry.Header.Length;
                var slice = part[..(int)Math.Min(part.Length, entry.DataLength - dataOffset)];
                n = await RandomAccess.ReadAsync(HandleFor(index), slice, dataOffset, cancellationToken);
                EnsureProgress(n, entry);
            }
            else
            {
                n = region switch
                {
                    Region.Header => CopyHeader(_entries[index], local, part.Span),
                    Region.Padding => Zero(part.Span, _entries[index].End - _position),
                    _ => Zero(part.Span, _length - _position),
                };
            }

            _position += n;
            total += n;
        }

        return total;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _openFile?.Dispose();
            _openFile = null;
            _disposed = true;
        }

        base.Dispose(disposing);
    }

    private static void Collect(DirectoryInfo directory, string prefix, List<Entry> entries, ref long offset, ref DateTime newest)
    {
        var children = directory.EnumerateFileSystemInfos()
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        foreach (var child in children)
        {
            if (PathGuard.IsLink(child))
            {
                continue; // never follow a link: it could point anywhere, including outside the root
            }

            if (child.LastWriteTimeUtc > newest)
            {
                newest = child.LastWriteTimeUtc;
            }

            var name = prefix + child.Name;
            if (child is DirectoryInfo subdirectory)
            {
                var entry = MakeEntry(TarEntryType.Directory, name + "/", child.LastWriteTimeUtc, path: null, dataLength: 0, offset);
                entries.Add(entry);
                offset = entry.End;
                Collect(subdirectory, name + "/", entries, ref offset, ref newest);
            }
            else if (child is FileInfo file)
            {
                // Fifos, sockets and devices report length 0 and are therefore never opened.
                var entry = MakeEntry(TarEntryType.RegularFile, name, child.LastWriteTimeUtc, file.FullName, file.Length, offset);
                entries.Add(entry);
                offset = entry.End;
            }
        }
    }

    private static Entry MakeEntry(TarEntryType type, string name, DateTime modified, string? path, long dataLength, long offset)
    {
        // TarWriter lays out the header (PAX extended header included when needed); a placeholder data
        // stream supplies the size without reading the file. What the writer adds after the header is
        // only the padding of the (absent) data, so the header is everything before it.
        var tarEntry = new PaxTarEntry(type, name)
        {
            ModificationTime = DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(modified, TimeSpan.Zero).ToUnixTimeSeconds()),
            Mode = type == TarEntryType.Directory ? DirectoryMode755 : FileMode644,
        };
        if (type == TarEntryType.RegularFile)
        {
            tarEntry.DataStream = new SizeOnlyStream(dataLength);
        }

        using var buffer = new MemoryStream();
        var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true);
        writer.WriteEntry(tarEntry);
        var written = buffer.Length; // read before disposing the writer, which appends the trailer
        writer.Dispose();

        var padding = Padding(dataLength);
        var headerLength = written - padding;
        var bytes = buffer.GetBuffer();
        if (headerLength <= 0 || headerLength % BlockSize != 0 || bytes.AsSpan((int)headerLength, (int)padding).ContainsAnyExcept((byte)0))
        {
            throw new InvalidOperationException("Unexpected tar header layout from System.Formats.Tar.");
        }

        return new Entry(offset, bytes[..(int)headerLength], path, dataLength, padding);
    }

    private static long Padding(long dataLength) => (BlockSize - (dataLength % BlockSize)) % BlockSize;

    private static int CopyHeader(Entry entry, long local, Span<byte> destination)
    {
        var source = entry.Header.AsSpan((int)local);
        var n = Math.Min(source.Length, destination.Length);
        source[..n].CopyTo(destination);
        return n;
    }

    private static int Zero(Span<byte> destination, long available)
    {
        var n = (int)Math.Min(destination.Length, available);
        destination[..n].Clear();
        return n;
    }

    private static void EnsureProgress(int read, Entry entry)
    {
        if (read == 0)
        {
            // The declared length is already promised to the client; serving different bytes would corrupt it.
            throw new IOException($"'{entry.Path}' became shorter while it was being archived.");
        }
    }

    private int ReadData(int index, long dataOffset, Span<byte> destination)
    {
        var entry = _entries[index];
        var slice = destination[..(int)Math.Min(destination.Length, entry.DataLength - dataOffset)];
        var n = RandomAccess.Read(HandleFor(index), slice, dataOffset);
        EnsureProgress(n, entry);
        return n;
    }

    private SafeFileHandle HandleFor(int index)
    {
        if (_openEntry == index && _openFile is not null)
        {
            return _openFile;
        }

        _openFile?.Dispose();
        _openFile = null;
        var path = _entries[index].Path!;
        if (PathGuard.IsLink(new FileInfo(path)))
        {
            throw new IOException("An archived file was replaced by a symbolic link; refusing to follow it.");
        }

        _openFile = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        _openEntry = index;
        return _openFile;
    }

    /// <summary>Finds the entry holding the current position; null once past the last entry (the trailer).</summary>
    private Region? Locate(out int index, out long local)
    {
        var lo = 0;
        var hi = _entries.Length - 1;
        index = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_entries[mid].Offset <= _position)
            {
                index = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        if (index < 0 || _position >= _entries[index].End)
        {
            local = 0;
            return null;
        }

        var entry = _entries[index];
        local = _position - entry.Offset;
        return local < entry.Header.Length ? Region.Header
            : local < entry.Header.Length + entry.DataLength ? Region.Data
            : Region.Padding;
    }

    private enum Region
    {
        Header,
        Data,
        Padding,
    }

    private sealed record Entry(long Offset, byte[] Header, string? Path, long DataLength, long Padding)
    {
        public long End => Offset + Header.Length + DataLength + Padding;
    }

    /// <summary>Reports a length to TarWriter but yields no bytes, so a header costs no file I/O.</summary>
    private sealed class SizeOnlyStream(long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
