using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Infrastructure.Storage;

/// <summary>
/// Artifacts on a local file system, in two layouts: training "{root}/{run}/{name}.tar.gz" and sampler
/// "{root}/{run}/sampler_weights/{name}.tar.gz" (':' in run ids is written "%3A", see <see cref="RunDirectoryName"/>).
/// An artifact is a file or, from older writers, a directory of that name (served as a generated tar).
/// Writes go to "{root}/.staging" and appear by one rename; deletes rename into "{root}/.trash" first,
/// so readers see an artifact whole or not at all and concurrent deletes have exactly one winner.
/// </summary>
public sealed class FileSystemArtifactStorage : IArtifactStorage
{
    /// <summary>Staged writes; names start with '.', which no run id can, so they never collide with a run.</summary>
    public const string StagingDirectoryName = ".staging";

    /// <summary>Artifacts being removed.</summary>
    public const string TrashDirectoryName = ".trash";

    private readonly string _root;
    private readonly ILogger _logger;

    public FileSystemArtifactStorage(string root, ILogger<FileSystemArtifactStorage>? logger = null)
    {
        _root = PathGuard.NormalizeRoot(root);
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The absolute checkpoint root.</summary>
    public string Root => _root;

    public Task<ArtifactInfo?> GetInfoAsync(CheckpointPath path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var target = ResolveExisting(path);
        if (Directory.Exists(target))
        {
            try
            {
                return Task.FromResult<ArtifactInfo?>(new ArtifactInfo(ArtifactShape.Directory, DirectoryTarStream.MeasureLength(target)));
            }
            catch (DirectoryNotFoundException)
            {
                return Task.FromResult<ArtifactInfo?>(null); // deleted while measuring
            }
        }

        var file = new FileInfo(target);
        return Task.FromResult(file.Exists ? new ArtifactInfo(ArtifactShape.File, file.Length) : null);
    }

    public Task<ArtifactContent?> OpenReadAsync(CheckpointPath path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var target = ResolveExisting(path);
        try
        {
            if (Directory.Exists(target))
            {
                var tar = DirectoryTarStream.Open(target, out var lastModified);
                return Task.FromResult<ArtifactContent?>(new ArtifactContent(tar, tar.Length, ArtifactShape.Directory, lastModified));
            }

            // FileShare.Delete: a delete may rename the file away while a download is still streaming it.
            // A synchronous handle on purpose: see FileArtifactReadStream for why its reads complete inline.
            var handle = File.OpenHandle(target, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
            FileArtifactReadStream stream;
            try
            {
                stream = new FileArtifactReadStream(handle);
            }
            catch
            {
                handle.Dispose();
                throw;
            }

            var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(target), TimeSpan.Zero);
            return Task.FromResult<ArtifactContent?>(new ArtifactContent(stream, stream.Length, ArtifactShape.File, modified));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<ArtifactContent?>(null);
        }
    }

    public Task<IStagedArtifact> BeginWriteAsync(CheckpointPath path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ResolveExisting(path); // refuse an unusable target before any bytes are written
        var staging = EnsureInternalDirectory(StagingDirectoryName);
        var stagedPath = Path.Join(staging, Guid.NewGuid().ToString("N"));
        var stream = new FileStream(stagedPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
        });
        return Task.FromResult<IStagedArtifact>(new StagedArtifact(this, path, stagedPath, stream));
    }

    public Task<bool> DeleteAsync(CheckpointPath path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var target = ResolveExisting(path);
        if (!Exists(target))
        {
            return Task.FromResult(false);
        }

        var trashed = MoveToTrash(target);
        if (trashed is null)
        {
            return Task.FromResult(false);
        }

        RemoveQuietly(trashed);
        return Task.FromResult(true);
    }

    public IAsyncEnumerable<CheckpointPath> EnumerateAsync(CancellationToken cancellationToken) =>
        Enumerate(cancellationToken).ToAsyncEnumerable();

    public Task<int> CleanUpLeftoversAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var name in new[] { StagingDirectoryName, TrashDirectoryName })
        {
            var folder = new DirectoryInfo(Path.Join(_root, name));
            if (!folder.Exists || PathGuard.IsLink(folder))
            {
                continue;
            }

            foreach (var leftover in folder.EnumerateFileSystemInfos())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Remove(leftover.FullName))
                {
                    removed++;
                }
            }
        }

        return Task.FromResult(removed);
    }

    private static bool Exists(string path) => Directory.Exists(path) || File.Exists(path);

    /// <summary>Removes a file or a directory tree; links inside a tree are unlinked, never followed.</summary>
    private static bool Remove(string path)
    {
        var info = new FileInfo(path);
        if (!PathGuard.IsLink(info) && Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
            return true;
        }

        if (info.Exists || PathGuard.IsLink(info))
        {
            File.Delete(path);
            return true;
        }

        return false;
    }

    private IEnumerable<CheckpointPath> Enumerate(CancellationToken cancellationToken)
    {
        var root = new DirectoryInfo(_root);
        if (!root.Exists)
        {
            yield break;
        }

        var runDirectories = root.EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        foreach (var runDirectory in runDirectories)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!RunDirectoryName.TryDecode(runDirectory.Name, out var runId) || PathGuard.IsLink(runDirectory))
            {
                continue; // staging, trash, foreign folders and links are not artifacts
            }

            foreach (var layout in ArtifactLayout.All)
            {
                foreach (var path in layout.Enumerate(runDirectory, runId).OrderBy(p => p.Name.Value, StringComparer.Ordinal))
                {
                    yield return path;
                }
            }
        }
    }

    /// <summary>The artifact's absolute path after checking that it and every existing component stay inside the root.</summary>
    private string ResolveExisting(CheckpointPath path)
    {
        var components = ArtifactLayout.For(path.Type).Components(path);
        var full = PathGuard.Resolve(_root, components);
        PathGuard.EnsureNoLinks(_root, components, components.Count);
        return full;
    }

    /// <summary>Creates the folders above the artifact, re-checking afterwards that none of them is a link.</summary>
    private string PrepareTarget(CheckpointPath path)
    {
        var components = ArtifactLayout.For(path.Type).Components(path);
        var full = PathGuard.Resolve(_root, components);
        PathGuard.EnsureNoLinks(_root, components, components.Count);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        PathGuard.EnsureNoLinks(_root, components, components.Count);
        return full;
    }

    private string EnsureInternalDirectory(string name)
    {
        var folder = PathGuard.Resolve(_root, [name]);
        PathGuard.EnsureNoLinks(_root, [name], 1);
        Directory.CreateDirectory(folder);
        PathGuard.EnsureNoLinks(_root, [name], 1);
        return folder;
    }

    /// <summary>Renames the artifact into the trash; null when it vanished first (a concurrent delete won).</summary>
    private string? MoveToTrash(string target)
    {
        var trash = EnsureInternalDirectory(TrashDirectoryName);
        var trashed = Path.Join(trash, Guid.NewGuid().ToString("N"));
        try
        {
            if (Directory.Exists(target))
            {
                Directory.Move(target, trashed);
            }
            else
            {
                // overwrite: true is a plain rename(2): atomic, and the fresh trash name never exists.
                File.Move(target, trashed, overwrite: true);
            }

            return trashed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !Exists(target))
        {
            return null;
        }
    }

    private void RemoveQuietly(string trashed)
    {
        try
        {
            Remove(trashed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The artifact is already gone from its layout; the trash is emptied at the next start-up.
            _logger.LogWarning(e, "Could not remove trashed artifact {Path}; it will be removed at the next start-up.", trashed);
        }
    }

    private long Commit(CheckpointPath path, string stagedPath, bool overwrite)
    {
        var target = PrepareTarget(path);
        if (!overwrite)
        {
            if (Directory.Exists(target))
            {
                throw new ArtifactExistsException(path);
            }

            if (!NoReplaceMove.TryMove(stagedPath, target))
            {
                throw new ArtifactExistsException(path);
            }
        }
        else
        {
            string? trashed = null;
            if (Directory.Exists(target))
            {
                // rename(2) cannot replace a directory with a file; move the old shape aside first.
                trashed = MoveToTrash(target);
            }

            File.Move(stagedPath, target, overwrite: true);
            if (trashed is not null)
            {
                RemoveQuietly(trashed);
            }
        }

        return new FileInfo(target).Length;
    }

    private sealed class StagedArtifact(FileSystemArtifactStorage owner, CheckpointPath path, string stagedPath, FileStream stream) : IStagedArtifact
    {
        private bool _committed;
        private bool _disposed;

        public CheckpointPath Path { get; } = path;

        public Stream Content => stream;

        public async Task<long> CommitAsync(bool overwrite, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_committed)
            {
                throw new InvalidOperationException("The artifact was already committed.");
            }

            // The bytes must be durable before the rename publishes them. A writer that wrapped Content in a
            // GZipStream or TarWriter may already have closed it; then fsync through a fresh handle.
            if (stream.CanWrite)
            {
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
                await stream.DisposeAsync();
            }
            else
            {
                await stream.DisposeAsync();
                await using var reopened = new FileStream(stagedPath, FileMode.Open, FileAccess.Write, FileShare.None);
                reopened.Flush(flushToDisk: true);
            }

            var length = owner.Commit(Path, stagedPath, overwrite);
            _committed = true;
            return length;
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await stream.DisposeAsync();
            if (!_committed)
            {
                try
                {
                    File.Delete(stagedPath);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    owner._logger.LogWarning(e, "Could not remove staged artifact {Path}; it will be removed at the next start-up.", stagedPath);
                }
            }
        }
    }
}
