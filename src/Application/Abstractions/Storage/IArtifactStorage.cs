using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Application.Abstractions.Storage;

/// <summary>
/// Where checkpoint artifacts live. Nothing above Infrastructure assumes a local path: artifacts are
/// named by <see cref="CheckpointPath"/> and read and written as streams.
/// </summary>
public interface IArtifactStorage
{
    /// <summary>Size and shape of the artifact, or null when none exists.</summary>
    Task<ArtifactInfo?> GetInfoAsync(CheckpointPath path, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the artifact as an archive stream: the file itself, or a tar generated on the fly for a
    /// directory-shaped artifact. The stream is seekable so byte ranges can be served. Null when missing.
    /// </summary>
    Task<ArtifactContent?> OpenReadAsync(CheckpointPath path, CancellationToken cancellationToken);

    /// <summary>Starts a staged write; readers see nothing until <see cref="IStagedArtifact.CommitAsync"/>.</summary>
    Task<IStagedArtifact> BeginWriteAsync(CheckpointPath path, CancellationToken cancellationToken);

    /// <summary>Removes the artifact atomically; false when it was already gone. Never removes run directories.</summary>
    Task<bool> DeleteAsync(CheckpointPath path, CancellationToken cancellationToken);

    /// <summary>Every artifact in the layouts (for garbage collection of orphans).</summary>
    IAsyncEnumerable<CheckpointPath> EnumerateAsync(CancellationToken cancellationToken);

    /// <summary>Removes staging and trash leftovers of writes and deletes interrupted by a crash.</summary>
    Task<int> CleanUpLeftoversAsync(CancellationToken cancellationToken);
}

public enum ArtifactShape
{
    File = 0,
    Directory = 1,
}

/// <param name="Length">Bytes a download of this artifact delivers (the tar length for a directory).</param>
public sealed record ArtifactInfo(ArtifactShape Shape, long Length);

/// <summary>An open artifact. Dispose it to release the underlying files.</summary>
public sealed class ArtifactContent(Stream stream, long length, ArtifactShape shape, DateTimeOffset lastModified) : IAsyncDisposable, IDisposable
{
    public Stream Stream { get; } = stream;

    public long Length { get; } = length;

    public ArtifactShape Shape { get; } = shape;

    public DateTimeOffset LastModified { get; } = lastModified;

    public ValueTask DisposeAsync() => Stream.DisposeAsync();

    public void Dispose() => Stream.Dispose();
}

/// <summary>
/// A write in progress. Disposing without committing discards it. Commit moves it into its layout
/// position in one rename, so the artifact appears whole or not at all.
/// </summary>
public interface IStagedArtifact : IAsyncDisposable
{
    CheckpointPath Path { get; }

    /// <summary>Where to write the archive bytes.</summary>
    Stream Content { get; }

    /// <summary>
    /// Publishes the artifact and returns its size in bytes. Without <paramref name="overwrite"/>,
    /// an existing artifact makes this throw <see cref="ArtifactExistsException"/>.
    /// </summary>
    Task<long> CommitAsync(bool overwrite, CancellationToken cancellationToken);
}

public sealed class ArtifactExistsException(CheckpointPath path)
    : Exception($"An artifact already exists for {path}.")
{
    public CheckpointPath Path { get; } = path;
}
