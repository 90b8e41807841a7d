using System.Formats.Tar;
using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure.Tests.Storage;

public sealed class DirectoryTarStreamTests : IDisposable
{
    private static readonly int[] Sizes = [0, 1, 511, 512, 513, 1024, 70_000];

    private readonly TempStorageRoot _temp = new();
    private readonly string _dir;
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public DirectoryTarStreamTests()
    {
        _dir = Path.Join(_temp.Root, "artifact");
        Directory.CreateDirectory(_dir);
        for (var i = 0; i < Sizes.Length; i++)
        {
            AddFile($"f{i}_{Sizes[i]}.bin", TempStorageRoot.RandomBytes(Sizes[i], i));
        }

        // A path longer than ustar's 100-character name field forces the PAX extended header.
        var longDir = string.Join('/', Enumerable.Repeat("a_rather_long_directory_name", 5));
        AddFile(longDir + "/adapter_model.safetensors", TempStorageRoot.RandomBytes(3000, 99));
        AddFile("B/upper.txt", "upper"u8.ToArray());
        AddFile("a/lower.txt", "lower"u8.ToArray());
        Directory.CreateDirectory(Path.Join(_dir, "empty_dir"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TarReader_reads_back_every_file_and_directory_in_ordinal_order()
    {
        var tar = ReadAll(DirectoryTarStream.Open(_dir));

        var entries = TarTestHelpers.ReadEntries(tar);

        foreach (var (name, bytes) in _files)
        {
            entries[name].Should().Equal(bytes, name);
        }

        entries.Keys.Should().Contain("empty_dir/").And.Contain("a/").And.Contain("B/");
        entries.Keys.Where(k => !k.EndsWith('/')).Should().BeEquivalentTo(_files.Keys);
        // depth-first with ordinal sibling order: uppercase before lowercase, a directory before its children
        var deep = "a_rather_long_directory_name/";
        entries.Keys.Should().Equal(
            "B/", "B/upper.txt", "a/", "a/lower.txt",
            deep, deep + deep, deep + deep + deep, deep + deep + deep + deep, deep + deep + deep + deep + deep,
            deep + deep + deep + deep + deep + "adapter_model.safetensors",
            "empty_dir/", "f0_0.bin", "f1_1.bin", "f2_511.bin", "f3_512.bin", "f4_513.bin", "f5_1024.bin", "f6_70000.bin");
    }

    [Fact]
    public void Entry_types_and_modes_are_regular_files_and_directories()
    {
        using var reader = new TarReader(new MemoryStream(ReadAll(DirectoryTarStream.Open(_dir))));
        while (reader.GetNextEntry() is { } entry)
        {
            entry.EntryType.Should().BeOneOf(TarEntryType.RegularFile, TarEntryType.Directory);
            (entry.EntryType == TarEntryType.Directory).Should().Be(entry.Name.EndsWith('/'));
            entry.Name.Should().NotStartWith("/").And.NotContain("..");
        }
    }

    [Fact]
    public void Length_is_exact_before_reading_and_block_aligned()
    {
        using var stream = DirectoryTarStream.Open(_dir);
        var announced = stream.Length;

        var bytes = ReadAll(stream);

        bytes.Length.Should().Be((int)announced);
        (announced % 512).Should().Be(0);
        DirectoryTarStream.MeasureLength(_dir).Should().Be(announced);
        bytes[^1024..].Should().OnlyContain(b => b == 0);
    }

    [Fact]
    public void Two_opens_give_identical_bytes()
    {
        ReadAll(DirectoryTarStream.Open(_dir)).Should().Equal(ReadAll(DirectoryTarStream.Open(_dir)));
    }

    [Fact]
    public async Task Reads_from_arbitrary_offsets_equal_the_full_read()
    {
        var full = ReadAll(DirectoryTarStream.Open(_dir));
        var random = new Random(1234);
        using var stream = DirectoryTarStream.Open(_dir);

        for (var i = 0; i < 300; i++)
        {
            var start = random.Next(0, full.Length);
            var count = random.Next(1, Math.Min(20_000, full.Length - start) + 1);
            stream.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[count];
            if (i % 2 == 0)
            {
                stream.ReadExactly(buffer);
            }
            else
            {
                await stream.ReadExactlyAsync(buffer);
            }

            buffer.Should().Equal(full.AsSpan(start, count).ToArray(), $"range {start}+{count}");
        }

        stream.Seek(-10, SeekOrigin.End);
        stream.Read(new byte[100]).Should().Be(10);
        stream.Read(new byte[100]).Should().Be(0);
        stream.Position = full.Length + 5;
        stream.Read(new byte[10]).Should().Be(0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(512)]
    [InlineData(4099)]
    public void Small_buffers_give_the_same_bytes(int bufferSize)
    {
        var full = ReadAll(DirectoryTarStream.Open(_dir));
        using var stream = DirectoryTarStream.Open(_dir);
        using var copy = new MemoryStream();
        var buffer = new byte[bufferSize];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            copy.Write(buffer, 0, n);
        }

        copy.ToArray().Should().Equal(full);
    }

    [Fact]
    public void Empty_directory_is_just_the_trailer()
    {
        var empty = Path.Join(_temp.Root, "empty");
        Directory.CreateDirectory(empty);

        var bytes = ReadAll(DirectoryTarStream.Open(empty));

        bytes.Should().HaveCount(1024).And.OnlyContain(b => b == 0);
        TarTestHelpers.ReadEntries(bytes).Should().BeEmpty();
    }

    [Fact]
    public void File_shrinking_after_open_fails_the_read_instead_of_serving_wrong_bytes()
    {
        using var stream = DirectoryTarStream.Open(_dir);
        File.WriteAllBytes(Path.Join(_dir, "f6_70000.bin"), new byte[10]);

        var read = () => ReadAll(stream);

        read.Should().Throw<IOException>();
    }

    [Fact]
    public void Seeking_before_the_start_is_refused_and_writing_is_unsupported()
    {
        using var stream = DirectoryTarStream.Open(_dir);

        stream.CanWrite.Should().BeFalse();
        FluentActions.Invoking(() => stream.Seek(-1, SeekOrigin.Begin)).Should().Throw<IOException>();
        FluentActions.Invoking(() => stream.Write(new byte[1])).Should().Throw<NotSupportedException>();
    }

    private static byte[] ReadAll(Stream stream)
    {
        using (stream)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    private void AddFile(string relative, byte[] bytes)
    {
        var full = Path.Join(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        _files[relative] = bytes;
    }
}
