using System.IO.Compression;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure.Tests.Storage;

public sealed class FileSystemArtifactStorageTests : IDisposable
{
    private const string Run = "3f2c9a:train:0";
    private const string EncodedRun = "3f2c9a%3Atrain%3A0";

    private readonly TempStorageRoot _temp = new();
    private readonly FileSystemArtifactStorage _storage;

    public FileSystemArtifactStorageTests() => _storage = new FileSystemArtifactStorage(_temp.Root);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Training_artifact_is_written_to_run_dir_with_encoded_colon_and_read_back()
    {
        var bytes = TempStorageRoot.RandomBytes(100_000, 1);
        var path = TempStorageRoot.Training(Run, "step_1");

        var size = await WriteAsync(path, bytes);

        size.Should().Be(bytes.Length);
        var onDisk = Path.Join(_temp.Root, EncodedRun, "step_1.tar.gz");
        File.ReadAllBytes(onDisk).Should().Equal(bytes);
        (await _storage.GetInfoAsync(path, default)).Should().Be(new ArtifactInfo(ArtifactShape.File, bytes.Length));
        (await ReadAllAsync(path)).Should().Equal(bytes);
    }

    [Fact]
    public async Task Sampler_artifact_is_written_to_sampler_weights_layout()
    {
        var bytes = TempStorageRoot.RandomBytes(777, 2);
        var path = TempStorageRoot.Sampler(Run, "final");

        await WriteAsync(path, bytes);

        File.ReadAllBytes(Path.Join(_temp.Root, EncodedRun, "sampler_weights", "final.tar.gz")).Should().Equal(bytes);
        File.Exists(Path.Join(_temp.Root, EncodedRun, "final.tar.gz")).Should().BeFalse();
        (await _storage.GetInfoAsync(TempStorageRoot.Training(Run, "final"), default)).Should().BeNull();
        (await ReadAllAsync(path)).Should().Equal(bytes);
    }

    [Fact]
    public async Task Open_reports_length_shape_and_a_seekable_stream()
    {
        var bytes = TempStorageRoot.RandomBytes(5000, 3);
        var path = TempStorageRoot.Training("run", "a");
        await WriteAsync(path, bytes);

        await using var content = (await _storage.OpenReadAsync(path, default))!;

        content.Length.Should().Be(5000);
        content.Shape.Should().Be(ArtifactShape.File);
        content.Stream.CanSeek.Should().BeTrue();
        content.Stream.Seek(4000, SeekOrigin.Begin);
        var tail = new byte[1000];
        await content.Stream.ReadExactlyAsync(tail);
        tail.Should().Equal(bytes[4000..]);
    }

    [Fact]
    public async Task Missing_artifact_gives_null_info_null_content_and_false_delete()
    {
        var path = TempStorageRoot.Training("nobody", "x");

        (await _storage.GetInfoAsync(path, default)).Should().BeNull();
        (await _storage.OpenReadAsync(path, default)).Should().BeNull();
        (await _storage.DeleteAsync(path, default)).Should().BeFalse();
        Directory.Exists(Path.Join(_temp.Root, "nobody")).Should().BeFalse();
    }

    [Fact]
    public async Task Nothing_is_visible_before_commit()
    {
        var path = TempStorageRoot.Training(Run, "pending");
        await using var staged = await _storage.BeginWriteAsync(path, default);
        await staged.Content.WriteAsync(TempStorageRoot.RandomBytes(4096, 4));
        await staged.Content.FlushAsync();

        (await _storage.GetInfoAsync(path, default)).Should().BeNull();
        (await _storage.OpenReadAsync(path, default)).Should().BeNull();
        (await _storage.EnumerateAsync(default).ToListAsync()).Should().BeEmpty();
        File.Exists(Path.Join(_temp.Root, EncodedRun, "pending.tar.gz")).Should().BeFalse();

        await staged.CommitAsync(overwrite: false, default);

        (await _storage.GetInfoAsync(path, default))!.Length.Should().Be(4096);
        Directory.EnumerateFileSystemEntries(Path.Join(_temp.Root, FileSystemArtifactStorage.StagingDirectoryName)).Should().BeEmpty();
    }

    [Fact]
    public async Task Dispose_without_commit_leaves_nothing()
    {
        var path = TempStorageRoot.Sampler(Run, "abandoned");
        await using (var staged = await _storage.BeginWriteAsync(path, default))
        {
            await staged.Content.WriteAsync(new byte[1000]);
        }

        (await _storage.GetInfoAsync(path, default)).Should().BeNull();
        Directory.EnumerateFileSystemEntries(Path.Join(_temp.Root, FileSystemArtifactStorage.StagingDirectoryName)).Should().BeEmpty();
        Directory.Exists(Path.Join(_temp.Root, EncodedRun)).Should().BeFalse();
    }

    [Fact]
    public async Task Commit_without_overwrite_refuses_an_existing_file_and_keeps_it()
    {
        var path = TempStorageRoot.Training(Run, "keep");
        var original = TempStorageRoot.RandomBytes(300, 5);
        await WriteAsync(path, original);

        await using (var staged = await _storage.BeginWriteAsync(path, default))
        {
            await staged.Content.WriteAsync(new byte[10]);
            var commit = () => staged.CommitAsync(overwrite: false, default);
            (await commit.Should().ThrowAsync<ArtifactExistsException>()).Which.Path.Should().Be(path);
        }

        (await ReadAllAsync(path)).Should().Equal(original);
        Directory.EnumerateFileSystemEntries(Path.Join(_temp.Root, FileSystemArtifactStorage.StagingDirectoryName)).Should().BeEmpty();
    }

    [Fact]
    public async Task Commit_without_overwrite_refuses_an_existing_directory_artifact()
    {
        var path = TempStorageRoot.Training(Run, "olddir");
        var dir = Path.Join(_temp.Root, EncodedRun, "olddir.tar.gz");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Join(dir, "weights.bin"), "old");

        await using var staged = await _storage.BeginWriteAsync(path, default);
        await staged.Content.WriteAsync(new byte[10]);
        var commit = () => staged.CommitAsync(overwrite: false, default);

        await commit.Should().ThrowAsync<ArtifactExistsException>();
        File.ReadAllText(Path.Join(dir, "weights.bin")).Should().Be("old");
    }

    [Fact]
    public async Task Commit_with_overwrite_replaces_a_file()
    {
        var path = TempStorageRoot.Sampler(Run, "s");
        await WriteAsync(path, TempStorageRoot.RandomBytes(300, 6));
        var replacement = TempStorageRoot.RandomBytes(1234, 7);

        (await WriteAsync(path, replacement, overwrite: true)).Should().Be(1234);

        (await ReadAllAsync(path)).Should().Equal(replacement);
    }

    [Fact]
    public async Task Commit_with_overwrite_replaces_a_directory_artifact_with_a_file()
    {
        var path = TempStorageRoot.Training(Run, "olddir");
        var dir = Path.Join(_temp.Root, EncodedRun, "olddir.tar.gz");
        Directory.CreateDirectory(Path.Join(dir, "nested"));
        File.WriteAllText(Path.Join(dir, "nested", "weights.bin"), "old");
        var replacement = TempStorageRoot.RandomBytes(2048, 8);

        await WriteAsync(path, replacement, overwrite: true);

        (await _storage.GetInfoAsync(path, default)).Should().Be(new ArtifactInfo(ArtifactShape.File, 2048));
        (await ReadAllAsync(path)).Should().Equal(replacement);
        Directory.EnumerateFileSystemEntries(Path.Join(_temp.Root, FileSystemArtifactStorage.TrashDirectoryName)).Should().BeEmpty();
    }

    [Fact]
    public async Task Concurrent_commits_without_overwrite_have_exactly_one_winner()
    {
        var path = TempStorageRoot.Training(Run, "race");
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await using var staged = await _storage.BeginWriteAsync(path, default);
            await staged.Content.WriteAsync(TempStorageRoot.RandomBytes(1000 + i, i));
            try
            {
                await staged.CommitAsync(overwrite: false, default);
                return i;
            }
            catch (ArtifactExistsException)
            {
                return -1;
            }
        }));

        var winner = results.Should().ContainSingle(r => r >= 0).Subject;
        (await _storage.GetInfoAsync(path, default))!.Length.Should().Be(1000 + winner);
    }

    [Fact]
    public async Task Commit_works_after_a_wrapping_writer_closed_the_content_stream()
    {
        var path = TempStorageRoot.Sampler(Run, "gz");
        var payload = TempStorageRoot.RandomBytes(50_000, 11);
        await using var staged = await _storage.BeginWriteAsync(path, default);
        await using (var gzip = new GZipStream(staged.Content, CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(payload);
        }

        var size = await staged.CommitAsync(overwrite: false, default);

        await using var content = (await _storage.OpenReadAsync(path, default))!;
        content.Length.Should().Be(size);
        await using var unzip = new GZipStream(content.Stream, CompressionMode.Decompress);
        (await ReadAllAsync(unzip)).Should().Equal(payload);
    }

    [Fact]
    public async Task Commit_twice_is_refused()
    {
        var path = TempStorageRoot.Training(Run, "twice");
        await using var staged = await _storage.BeginWriteAsync(path, default);
        await staged.CommitAsync(false, default);

        var again = () => staged.CommitAsync(false, default);

        await again.Should().ThrowAsync<Exception>();
        (await _storage.GetInfoAsync(path, default))!.Length.Should().Be(0);
    }

    [Fact]
    public async Task Delete_removes_only_that_artifact_and_never_the_run_directories()
    {
        var training = TempStorageRoot.Training(Run, "t1");
        var sampler = TempStorageRoot.Sampler(Run, "s1");
        var other = TempStorageRoot.Training(Run, "t2");
        await WriteAsync(training, [1, 2, 3]);
        await WriteAsync(sampler, [4, 5, 6]);
        await WriteAsync(other, [7]);

        (await _storage.DeleteAsync(training, default)).Should().BeTrue();
        (await _storage.DeleteAsync(sampler, default)).Should().BeTrue();

        (await _storage.GetInfoAsync(training, default)).Should().BeNull();
        (await _storage.GetInfoAsync(sampler, default)).Should().BeNull();
        (await ReadAllAsync(other)).Should().Equal([7]);
        Directory.Exists(Path.Join(_temp.Root, EncodedRun, "sampler_weights")).Should().BeTrue();
        (await _storage.DeleteAsync(training, default)).Should().BeFalse();
        (await _storage.DeleteAsync(other, default)).Should().BeTrue();
        Directory.Exists(Path.Join(_temp.Root, EncodedRun)).Should().BeTrue();
        Directory.EnumerateFileSystemEntries(Path.Join(_temp.Root, FileSystemArtifactStorage.TrashDirectoryName)).Should().BeEmpty();
    }

    [Fact]
    public async Task Five_checkpoints_minus_two_and_four_leaves_one_three_five()
    {
        for (var i = 1; i <= 5; i++)
        {
            await WriteAsync(TempStorageRoot.Training(Run, $"{i}"), [(byte)i]);
        }

        (await _storage.DeleteAsync(TempStorageRoot.Training(Run, "2"), default)).Should().BeTrue();
        (await _storage.DeleteAsync(TempStorageRoot.Training(Run, "4"), default)).Should().BeTrue();

        var left = await _storage.EnumerateAsync(default).Select(p => p.Name.Value).ToListAsync();
        left.Should().Equal("1", "3", "5");
    }

    [Fact]
    public async Task Directory_artifact_is_sized_opened_as_tar_and_deleted()
    {
        var path = TempStorageRoot.Training(Run, "flax");
        var dir = Path.Join(_temp.Root, EncodedRun, "flax.tar.gz");
        Directory.CreateDirectory(Path.Join(dir, "checkpoint_0"));
        var weights = TempStorageRoot.RandomBytes(10_000, 9);
        File.WriteAllBytes(Path.Join(dir, "checkpoint_0", "lora_weights"), weights);
        File.WriteAllText(Path.Join(dir, "lora_config"), "{\"rank\":8}");

        var info = await _storage.GetInfoAsync(path, default);
        info!.Shape.Should().Be(ArtifactShape.Directory);

        byte[] tar;
        await using (var content = (await _storage.OpenReadAsync(path, default))!)
        {
            content.Shape.Should().Be(ArtifactShape.Directory);
            content.Length.Should().Be(info.Length);
            tar = await ReadAllAsync(content.Stream);
        }

        tar.Length.Should().Be((int)info.Length);
        var entries = TarTestHelpers.ReadEntries(tar);
        entries.Keys.Should().Equal("checkpoint_0/", "checkpoint_0/lora_weights", "lora_config");
        entries["checkpoint_0/lora_weights"].Should().Equal(weights);

        (await _storage.DeleteAsync(path, default)).Should().BeTrue();
        Directory.Exists(dir).Should().BeFalse();
        Directory.Exists(Path.Join(_temp.Root, EncodedRun)).Should().BeTrue();
        (await _storage.DeleteAsync(path, default)).Should().BeFalse();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Thirty_two_parallel_deletes_have_exactly_one_true_and_no_exception(bool directoryShaped)
    {
        var path = TempStorageRoot.Sampler(Run, "contested");
        if (directoryShaped)
        {
            var dir = Path.Join(_temp.Root, EncodedRun, "sampler_weights", "contested.tar.gz");
            Directory.CreateDirectory(Path.Join(dir, "sub"));
            File.WriteAllText(Path.Join(dir, "sub", "adapter_model.safetensors"), "x");
        }
        else
        {
            await WriteAsync(path, TempStorageRoot.RandomBytes(100_000, 10));
        }

        using var start = new ManualResetEventSlim();
        var deletes = Enumerable.Range(0, 32)
            .Select(_ => Task.Run(() =>
            {
                start.Wait();
                return _storage.DeleteAsync(path, default);
            }))
            .ToList();
        start.Set();
        var results = await Task.WhenAll(deletes);

        results.Count(r => r).Should().Be(1);
        (await _storage.GetInfoAsync(path, default)).Should().BeNull();
        Directory.Exists(Path.Join(_temp.Root, EncodedRun, "sampler_weights")).Should().BeTrue();
        Directory.EnumerateFileSystemEntries(Path.Join(_temp.Root, FileSystemArtifactStorage.TrashDirectoryName)).Should().BeEmpty();
    }

    [Fact]
    public async Task Clean_up_empties_staging_and_trash_and_leaves_artifacts()
    {
        var kept = TempStorageRoot.Training(Run, "kept");
        await WriteAsync(kept, [1, 2]);
        var staging = Path.Join(_temp.Root, FileSystemArtifactStorage.StagingDirectoryName);
        var trash = Path.Join(_temp.Root, FileSystemArtifactStorage.TrashDirectoryName);
        Directory.CreateDirectory(trash);
        File.WriteAllText(Path.Join(staging, "crashed-write"), "partial");
        Directory.CreateDirectory(Path.Join(trash, "crashed-delete", "deep"));
        File.WriteAllText(Path.Join(trash, "crashed-delete", "deep", "f"), "x");
        File.WriteAllText(Path.Join(trash, "crashed-file"), "x");

        (await _storage.CleanUpLeftoversAsync(default)).Should().Be(3);

        Directory.EnumerateFileSystemEntries(staging).Should().BeEmpty();
        Directory.EnumerateFileSystemEntries(trash).Should().BeEmpty();
        (await ReadAllAsync(kept)).Should().Equal([1, 2]);
        (await _storage.CleanUpLeftoversAsync(default)).Should().Be(0);
    }

    [Fact]
    public async Task Clean_up_on_a_missing_root_removes_nothing()
    {
        var storage = new FileSystemArtifactStorage(Path.Join(_temp.Base, "not-created"));

        (await storage.CleanUpLeftoversAsync(default)).Should().Be(0);
        (await storage.EnumerateAsync(default).ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Enumerate_lists_both_layouts_and_shapes_and_decodes_colons()
    {
        await WriteAsync(TempStorageRoot.Training("abc:train:0", "t"), [1]);
        await WriteAsync(TempStorageRoot.Sampler("abc:train:0", "s"), [1]);
        await WriteAsync(TempStorageRoot.Sampler("plain-run", "final"), [1]);
        Directory.CreateDirectory(Path.Join(_temp.Root, "plain-run", "legacy.tar.gz"));
        await using (var pending = await _storage.BeginWriteAsync(TempStorageRoot.Training("plain-run", "staged"), default))
        {
            var found = await _storage.EnumerateAsync(default).ToListAsync();

            found.Should().Equal(
                TempStorageRoot.Training("abc:train:0", "t"),
                TempStorageRoot.Sampler("abc:train:0", "s"),
                TempStorageRoot.Training("plain-run", "legacy"),
                TempStorageRoot.Sampler("plain-run", "final"));
        }
    }

    [Fact]
    public async Task Enumerate_ignores_unrecognised_names()
    {
        await WriteAsync(TempStorageRoot.Training("run", "ok"), [1]);
        Directory.CreateDirectory(Path.Join(_temp.Root, FileSystemArtifactStorage.TrashDirectoryName, "x.tar.gz"));
        Directory.CreateDirectory(Path.Join(_temp.Root, "lower%3atrain"));
        File.WriteAllText(Path.Join(_temp.Root, "lower%3atrain", "a.tar.gz"), "x");
        Directory.CreateDirectory(Path.Join(_temp.Root, "has space"));
        File.WriteAllText(Path.Join(_temp.Root, "has space", "a.tar.gz"), "x");
        File.WriteAllText(Path.Join(_temp.Root, "run", "notes.txt"), "x");
        File.WriteAllText(Path.Join(_temp.Root, "run", "bad.name.tar.gz"), "x");
        File.WriteAllText(Path.Join(_temp.Root, "run", "probe.tar.gz.probe"), "x");
        File.WriteAllText(Path.Join(_temp.Root, "stray.tar.gz"), "x");

        var found = await _storage.EnumerateAsync(default).ToListAsync();

        found.Should().Equal(TempStorageRoot.Training("run", "ok"));
    }

    [Fact]
    public async Task Names_differing_only_in_colon_encoding_do_not_collide()
    {
        await WriteAsync(TempStorageRoot.Training("a:b", "x"), [1]);
        await WriteAsync(TempStorageRoot.Training("a_b", "x"), [2]);
        await WriteAsync(TempStorageRoot.Training("a-3A-b", "x"), [3]);

        (await ReadAllAsync(TempStorageRoot.Training("a:b", "x"))).Should().Equal([1]);
        (await ReadAllAsync(TempStorageRoot.Training("a_b", "x"))).Should().Equal([2]);
        (await ReadAllAsync(TempStorageRoot.Training("a-3A-b", "x"))).Should().Equal([3]);
        (await _storage.EnumerateAsync(default).Select(p => p.TrainingRunId.Value).ToListAsync())
            .Should().BeEquivalentTo("a:b", "a_b", "a-3A-b");
    }

    [Fact]
    public async Task Symlinked_run_directory_pointing_outside_is_refused_by_every_operation()
    {
        if (!CanCreateSymlinks())
        {
            return;
        }

        var victim = Path.Join(_temp.Outside, "victim.tar.gz");
        File.WriteAllText(victim, "outside artifact");
        Directory.CreateSymbolicLink(Path.Join(_temp.Root, "evil"), _temp.Outside);
        var asVictim = TempStorageRoot.Training("evil", "victim");
        var asCanary = TempStorageRoot.Training("evil", "canary");

        await FluentActions.Awaiting(() => _storage.GetInfoAsync(asVictim, default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.OpenReadAsync(asVictim, default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.DeleteAsync(asVictim, default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.BeginWriteAsync(asCanary, default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.BeginWriteAsync(TempStorageRoot.Sampler("evil", "new"), default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        (await _storage.EnumerateAsync(default).ToListAsync()).Should().BeEmpty();
        await _storage.CleanUpLeftoversAsync(default);

        File.ReadAllText(victim).Should().Be("outside artifact");
        _temp.AssertOutsideUntouched("victim.tar.gz");
    }

    [Fact]
    public async Task Link_made_after_begin_write_is_refused_at_commit()
    {
        if (!CanCreateSymlinks())
        {
            return;
        }

        var path = TempStorageRoot.Training("late", "x");
        await using var staged = await _storage.BeginWriteAsync(path, default);
        await staged.Content.WriteAsync(new byte[] { 1, 2, 3 });
        Directory.CreateSymbolicLink(Path.Join(_temp.Root, "late"), _temp.Outside);

        await FluentActions.Awaiting(() => staged.CommitAsync(overwrite: true, default)).Should().ThrowAsync<ArtifactPathEscapeException>();

        _temp.AssertOutsideUntouched();
    }

    [Fact]
    public async Task Symlinked_sampler_weights_folder_and_symlinked_artifact_are_refused()
    {
        if (!CanCreateSymlinks())
        {
            return;
        }

        Directory.CreateDirectory(Path.Join(_temp.Root, "run"));
        Directory.CreateSymbolicLink(Path.Join(_temp.Root, "run", "sampler_weights"), _temp.Outside);
        File.CreateSymbolicLink(Path.Join(_temp.Root, "run", "canary.tar.gz"), _temp.CanaryPath);

        await FluentActions.Awaiting(() => _storage.OpenReadAsync(TempStorageRoot.Sampler("run", "canary"), default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.DeleteAsync(TempStorageRoot.Sampler("run", "canary"), default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.OpenReadAsync(TempStorageRoot.Training("run", "canary"), default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.DeleteAsync(TempStorageRoot.Training("run", "canary"), default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.BeginWriteAsync(TempStorageRoot.Training("run", "canary"), default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        (await _storage.EnumerateAsync(default).ToListAsync()).Should().BeEmpty();

        _temp.AssertOutsideUntouched();
    }

    [Fact]
    public async Task Symlinked_staging_or_trash_folder_is_refused()
    {
        if (!CanCreateSymlinks())
        {
            return;
        }

        Directory.CreateSymbolicLink(Path.Join(_temp.Root, FileSystemArtifactStorage.StagingDirectoryName), _temp.Outside);
        Directory.CreateSymbolicLink(Path.Join(_temp.Root, FileSystemArtifactStorage.TrashDirectoryName), _temp.Outside);
        var path = TempStorageRoot.Training("run", "x");
        Directory.CreateDirectory(Path.Join(_temp.Root, "run"));
        File.WriteAllText(Path.Join(_temp.Root, "run", "x.tar.gz"), "artifact");

        await FluentActions.Awaiting(() => _storage.BeginWriteAsync(path, default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        await FluentActions.Awaiting(() => _storage.DeleteAsync(path, default)).Should().ThrowAsync<ArtifactPathEscapeException>();
        (await _storage.CleanUpLeftoversAsync(default)).Should().Be(0);

        File.ReadAllText(Path.Join(_temp.Root, "run", "x.tar.gz")).Should().Be("artifact");
        _temp.AssertOutsideUntouched();
    }

    [Fact]
    public async Task Links_inside_a_directory_artifact_are_not_archived_and_not_followed_on_delete()
    {
        if (!CanCreateSymlinks())
        {
            return;
        }

        var path = TempStorageRoot.Training("run", "dirart");
        var dir = Path.Join(_temp.Root, "run", "dirart.tar.gz");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Join(dir, "real.bin"), "real");
        File.CreateSymbolicLink(Path.Join(dir, "canary-link"), _temp.CanaryPath);
        Directory.CreateSymbolicLink(Path.Join(dir, "outside-link"), _temp.Outside);

        await using (var content = (await _storage.OpenReadAsync(path, default))!)
        {
            var entries = TarTestHelpers.ReadEntries(await ReadAllAsync(content.Stream));
            entries.Keys.Should().Equal("real.bin");
        }

        (await _storage.DeleteAsync(path, default)).Should().BeTrue();

        Directory.Exists(dir).Should().BeFalse();
        _temp.AssertOutsideUntouched();
    }

    private static bool CanCreateSymlinks()
    {
        // Windows without developer mode cannot create links; the checks they exercise then have nothing to see.
        return !OperatingSystem.IsWindows();
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<long> WriteAsync(CheckpointPath path, byte[] bytes, bool overwrite = false)
    {
        await using var staged = await _storage.BeginWriteAsync(path, default);
        await staged.Content.WriteAsync(bytes);
        return await staged.CommitAsync(overwrite, default);
    }

    private async Task<byte[]> ReadAllAsync(CheckpointPath path)
    {
        await using var content = (await _storage.OpenReadAsync(path, default))!;
        return await ReadAllAsync(content.Stream);
    }
}
