using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure.Tests.Storage;

public sealed class FileArtifactReadStreamTests : IDisposable
{
    private readonly TempStorageRoot _temp = new();
    private readonly FileSystemArtifactStorage _storage;

    public FileArtifactReadStreamTests() => _storage = new FileSystemArtifactStorage(_temp.Root);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_file_artifact_reads_asynchronously_without_leaving_the_calling_thread()
    {
        var bytes = TempStorageRoot.RandomBytes(200_000, 21);
        await using var content = await OpenAsync("inline", bytes);

        // A thread-pool FileStream read would come back pending; the storage's stream answers inline.
        var buffer = new byte[65_536];
        var pending = content.Stream.ReadAsync(buffer);

        pending.IsCompletedSuccessfully.Should().BeTrue();
        (await pending).Should().Be(buffer.Length);
        buffer.Should().Equal(bytes[..65_536]);
        content.Stream.Position.Should().Be(65_536);
    }

    [Fact]
    public async Task Reads_follow_seeks_and_end_at_the_length()
    {
        var bytes = TempStorageRoot.RandomBytes(10_000, 22);
        await using var content = await OpenAsync("seek", bytes);
        var stream = content.Stream;

        stream.Length.Should().Be(10_000);
        stream.Seek(-100, SeekOrigin.End).Should().Be(9_900);
        var tail = new byte[500];
        stream.Read(tail, 0, tail.Length).Should().Be(100);
        tail[..100].Should().Equal(bytes[9_900..]);
        stream.Read(tail, 0, tail.Length).Should().Be(0);

        stream.Seek(-5_000, SeekOrigin.Current).Should().Be(5_000);
        var middle = new byte[10];
        (await stream.ReadAsync(middle.AsMemory())).Should().Be(10);
        middle.Should().Equal(bytes[5_000..5_010]);

        stream.Position = 20_000; // past the end is allowed and reads nothing, as for FileStream
        (await stream.ReadAsync(middle.AsMemory())).Should().Be(0);
        stream.Invoking(s => s.Seek(-1, SeekOrigin.Begin)).Should().Throw<IOException>();
    }

    [Fact]
    public async Task The_stream_is_read_only_and_unusable_after_dispose()
    {
        var content = await OpenAsync("closed", TempStorageRoot.RandomBytes(100, 23));
        var stream = content.Stream;

        stream.CanWrite.Should().BeFalse();
        stream.Invoking(s => s.Write(new byte[1], 0, 1)).Should().Throw<NotSupportedException>();
        stream.Invoking(s => s.SetLength(1)).Should().Throw<NotSupportedException>();

        await content.DisposeAsync();

        stream.CanRead.Should().BeFalse();
        stream.CanSeek.Should().BeFalse();
        stream.Invoking(s => s.Read(new byte[1], 0, 1)).Should().Throw<ObjectDisposedException>();
        await stream.Awaiting(s => s.ReadAsync(new byte[1]).AsTask()).Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task A_cancelled_read_is_cancelled()
    {
        await using var content = await OpenAsync("cancel", TempStorageRoot.RandomBytes(100, 24));

        await content.Stream.Awaiting(s => s.ReadAsync(new byte[10], new CancellationToken(canceled: true)).AsTask())
            .Should().ThrowAsync<OperationCanceledException>();
        content.Stream.Position.Should().Be(0);
    }

    [Fact]
    public async Task An_artifact_deleted_while_open_still_reads_to_the_end()
    {
        var bytes = TempStorageRoot.RandomBytes(300_000, 25);
        await using var content = await OpenAsync("deleted", bytes);
        var head = new byte[1000];
        await content.Stream.ReadExactlyAsync(head);

        (await _storage.DeleteAsync(TempStorageRoot.Training("run", "deleted"), default)).Should().BeTrue();

        using var rest = new MemoryStream();
        await content.Stream.CopyToAsync(rest);
        head.Concat(rest.ToArray()).Should().Equal(bytes);
    }

    private async Task<Application.Abstractions.Storage.ArtifactContent> OpenAsync(string name, byte[] bytes)
    {
        var path = TempStorageRoot.Training("run", name);
        await using (var staged = await _storage.BeginWriteAsync(path, default))
        {
            await staged.Content.WriteAsync(bytes);
            await staged.CommitAsync(overwrite: false, default);
        }

        return (await _storage.OpenReadAsync(path, default))!;
    }
}
